package datastore.romformat;

import datastore.Namespace;

/**
 * One index record of a mounted image: where an entry's bytes are and what they must hash to.
 *
 * @param namespace the entry's namespace
 * @param name the entry's name
 * @param format the format byte
 * @param offset the data offset from the image start
 * @param length the data length
 * @param index the entry's position among the image's entries of known namespaces, which makes its revision
 */
public record RomEntry(Namespace namespace, String name, int format, int offset, int length, int index) {
}
