// The base class of host objects that own disposables: each is registered where it is created and
// released with its owner, as in VS Code's own `lifecycle.ts`.
import type * as vscode from 'vscode';

interface IDisposable {
  dispose(): unknown;
}

export abstract class Disposable implements vscode.Disposable {
  private readonly _disposables: IDisposable[] = [];
  private _isDisposed = false;

  /** Keeps `value` until this object is disposed; after that, disposes it at once. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) {
      value.dispose();
    } else {
      this._disposables.push(value);
    }
    return value;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const disposable of this._disposables.splice(0)) {
      disposable.dispose();
    }
  }
}
