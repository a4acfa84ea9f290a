package datastore.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import datastore.DatastoreException;
import datastore.Names;
import datastore.Namespace;
import datastore.ValueTooLargeException;

/**
 * The checks every value passes before it reaches a partition: the value limit of each
 * {@link Namespace} and well-formed UTF-16 for key-value values. Names are checked by
 * {@link Names#check}, the API's one home of the name rules.
 */
final class EntryRules {

    private EntryRules() {
    }

    /**
     * Refuses a value of {@code size} bytes that its namespace does not allow.
     *
     * @throws ValueTooLargeException if {@code size} is over {@link Namespace#maxValueBytes()}
     */
    static void checkSize(Namespace namespace, String name, long size) {
        if (size > namespace.maxValueBytes()) {
            throw new ValueTooLargeException(namespace, name, size, namespace.maxValueBytes());
        }
    }

    /**
     * The UTF-8 bytes of a key-value value, checked against the KV limit. Encoding is strict: a value
     * with an unpaired surrogate would otherwise be stored as {@code '?'}, silently different from
     * what the caller gave.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws DatastoreException if the value is not well-formed UTF-16
     * @throws ValueTooLargeException if the encoded value is over the KV limit
     */
    static ByteBuffer encodeValue(String key, String value) {
        if (value == null) {
            throw new NullPointerException("value for key " + Names.quote(key, 64)
                    + " is null; store \"\" or remove the key");
        }
        // A char encodes to at most 3 UTF-8 bytes (a surrogate pair to 4 for 2 chars), so only long
        // strings need the exact count before encoding.
        if ((long) value.length() * 3 > Namespace.KV.maxValueBytes()) {
            checkSize(Namespace.KV, key, utf8Length(key, value));
        }
        if (!hasSurrogate(value)) {
            // Nothing in it can be malformed: the JDK's own encoder, which is much faster.
            return ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8));
        }
        try {
            return StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(value));
        } catch (CharacterCodingException e) {
            throw malformedValue(key, value);
        }
    }

    private static boolean hasSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isSurrogate(value.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static long utf8Length(String key, String value) {
        long bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw malformedValue(key, value);
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        return bytes;
    }

    private static DatastoreException malformedValue(String key, String value) {
        int at = 0;
        while (at < value.length()) {
            char c = value.charAt(at);
            if (Character.isHighSurrogate(c) && at + 1 < value.length() && Character.isLowSurrogate(value.charAt(at + 1))) {
                at += 2;
            } else if (Character.isSurrogate(c)) {
                break;
            } else {
                at++;
            }
        }
        return new DatastoreException("value for key " + Names.quote(key, 64) + " is not well-formed UTF-16: unpaired "
                + "surrogate at index " + at + "; it cannot be stored as UTF-8", null, key);
    }
}
