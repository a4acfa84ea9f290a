/**
 * The flash binding: a NOR-like flash device backed by a file, a fault-injecting region for
 * power-loss tests, and the partition table that registers one flash region service per partition.
 * Private to the bundle.
 */
package datastore.device;
