/**
 * The ROM image format as a library, without OSGi: the layout of one ROM image ({@link
 * datastore.romformat.RomImageFormat}) and of the ROM flash region ({@link datastore.romformat.RomLayout}), the
 * builder that makes images from ROM content, the reader that checks them, the signing keys, and the
 * store that mounts, serves and atomically replaces images on a flash region. Not an exported package:
 * the ROM bundle embeds it privately and the manufacturing tools put it on their class path.
 */
package datastore.romformat;
