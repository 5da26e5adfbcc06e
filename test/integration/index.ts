// Loaded by the extension host through `extensionTestsPath` (code-server) or @vscode/test-electron.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000 });
  // MARATHON_TEST_GREP (passed through code-server's environment) runs a subset while developing.
  if (process.env.MARATHON_TEST_GREP) {
    mocha.grep(process.env.MARATHON_TEST_GREP);
  }
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) {
      mocha.addFile(path.join(__dirname, file));
    }
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      // Tests run, not tests defined: a grep (the Restricted Mode run) leaves most of them out.
      console.log(`exthost: ${runner.stats?.passes ?? mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) {
        reject(new Error(`${failures} tests failed.`));
      } else {
        resolve();
      }
    });
  });
}
