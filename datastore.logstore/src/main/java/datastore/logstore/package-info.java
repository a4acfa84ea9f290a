/**
 * The runtime partition's engine as a library, without OSGi: the log-structured ring on one flash region
 * ({@link datastore.logstore.LogStore}: mount, reads, writes, garbage collection, damage reporting), the
 * refusal of a region that is not its own ({@link datastore.logstore.RefusedRegionException}) and the
 * region arithmetic of manufacturing ({@link datastore.logstore.RuntimePromise}). Everything else is
 * package-private. Not an exported package: the runtime bundle embeds it privately and the manufacturing
 * tools put it on their class path.
 */
package datastore.logstore;
