// Loaded with `node --import` into a CLI under test: SIGUSR2 makes the process throw an error
// nobody catches, so the tests can prove what an uncaught error leaves behind.
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('injected by the test: an uncaught error');
  });
});
