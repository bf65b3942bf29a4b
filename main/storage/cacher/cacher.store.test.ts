// The storage suite (main/storage/testing/store_tests.ts) over the Cacher, fed by a real etcd.
import { runStoreTests } from '../testing/store_tests.js';
import { openCacherStore } from '../testing/backends.js';

runStoreTests('Cacher', openCacherStore, { windowed: true });
