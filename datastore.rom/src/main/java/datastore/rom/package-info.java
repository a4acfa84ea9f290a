/**
 * The ROM (factory) partition: the image format, the builder that makes images from ROM content, the
 * engine that mounts, serves and atomically replaces images on a flash region, and the partition and
 * provisioning services. Private to the bundle; the ROM tools use it as a plain library.
 */
package datastore.rom;
