// The storage suite (main/storage/testing/store_tests.ts) over the etcd delegate: etcd3-store
// reads and watches served straight from etcd, as for a resource whose watch cache is off.
import { runStoreTests } from '../testing/store_tests.js';
import { openEtcdDelegateStore } from '../testing/backends.js';

runStoreTests('etcd delegate', openEtcdDelegateStore);
