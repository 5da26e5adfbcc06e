export interface Item {
  sku: string;
  name: string;
  quantity: number;
}

export function restock(items: Item[], sku: string, amount: number): Item[] {
  return items.map((item) => (item.sku === sku ? { ...item, quantity: item.quantity + amount } : item));
}

export function lowStock(items: Item[], threshold = 5): Item[] {
  return items.filter((item) => item.quantity < threshold);
}
