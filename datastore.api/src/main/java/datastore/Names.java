package datastore;

/**
 * The rules for names (keys, tags), checked in this one place, and how a name is shown in text
 * (shell, logs, error messages).
 *
 * <p>A valid name is non-empty, at most {@link Limits#MAX_NAME_BYTES} bytes in UTF-8, well-formed
 * UTF-16 (no unpaired surrogate), and holds no control character (Unicode category Cc) and no
 * invisible format character (category Cf: bidirectional controls such as U+202E, zero-width
 * spaces and joiners, U+FEFF, tag characters). Format characters are refused because they make one
 * name display as another (a right-to-left override turns {@code "gnp.logo"} into what reads as
 * {@code "logo.png"}; a zero-width space makes two names look identical) in the shell, the console
 * and the developer's own tools. One exception keeps emoji sequences usable: a zero-width joiner
 * (U+200D) between two symbols (category So, optionally followed by a variation selector), as in
 * a family or a rainbow-flag emoji.
 */
public final class Names {

    private static final int ZERO_WIDTH_JOINER = 0x200D;
    private static final int VARIATION_SELECTOR_16 = 0xFE0F;

    private Names() {
    }

    /**
     * Refuses a name that breaks a rule, saying which rule and where.
     *
     * @return the name
     * @throws InvalidNameException if the name is null or breaks a rule
     */
    public static String check(String name) {
        java.util.Optional<String> problem = problem(name);
        if (problem.isPresent()) {
            throw new InvalidNameException(name, problem.get());
        }
        return name;
    }

    /**
     * What is wrong with a name, if anything: the rule it breaks and where, for tools that collect
     * every problem of an input before refusing it.
     *
     * @return empty for a valid name
     */
    public static java.util.Optional<String> problem(String name) {
        if (name == null) {
            return java.util.Optional.of("a name is required, not null");
        }
        if (name.isEmpty()) {
            return java.util.Optional.of("a name must not be empty");
        }
        int utf8Bytes = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c < 0x7F) { // printable ASCII, nearly every name: one byte, nothing to refuse
                utf8Bytes++;
                continue;
            }
            int codePoint = c;
            int width = 1;
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                codePoint = Character.toCodePoint(c, name.charAt(i + 1));
                width = 2;
            } else if (Character.isSurrogate(c)) {
                return java.util.Optional.of("unpaired surrogate " + escape(c) + " at index " + i);
            }
            int type = Character.getType(codePoint);
            if (type == Character.CONTROL) {
                return java.util.Optional.of("control character " + escape(codePoint) + " at index " + i);
            }
            if (type == Character.FORMAT && !(codePoint == ZERO_WIDTH_JOINER && joinsSymbols(name, i))) {
                return java.util.Optional.of("invisible format character " + escape(codePoint) + " at index " + i
                        + " (bidirectional controls, zero-width characters and the like make a name look like another)");
            }
            utf8Bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            i += width - 1;
        }
        if (utf8Bytes > Limits.MAX_NAME_BYTES) {
            return java.util.Optional.of(utf8Bytes + " bytes in UTF-8; the limit is " + Limits.MAX_NAME_BYTES);
        }
        return java.util.Optional.empty();
    }

    /** Whether the joiner at {@code at} stands between two symbols (the first optionally with VS16). */
    private static boolean joinsSymbols(String name, int at) {
        if (at == 0 || at + 1 >= name.length()) {
            return false;
        }
        int before = name.codePointBefore(at);
        int beforeAt = at - Character.charCount(before);
        if (before == VARIATION_SELECTOR_16 && beforeAt > 0) {
            before = name.codePointBefore(beforeAt);
        }
        int after = name.codePointAt(at + 1);
        return Character.getType(before) == Character.OTHER_SYMBOL && Character.getType(after) == Character.OTHER_SYMBOL;
    }

    /**
     * A name as text that shows what it holds: control and format characters, unpaired surrogates
     * and the joiner are written as {@code \\uXXXX}, so no name can pass for another or disturb
     * the text around it. Null is shown as {@code null}.
     */
    public static String display(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder text = new StringBuilder(name.length());
        for (int i = 0; i < name.length();) {
            int codePoint = name.codePointAt(i);
            int type = Character.getType(codePoint);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE) {
                text.append(escape(codePoint));
            } else {
                text.appendCodePoint(codePoint);
            }
            i += Character.charCount(codePoint);
        }
        return text.toString();
    }

    /**
     * A name, or a value shown beside names, as one quoted field: {@link #display} of at most
     * {@code maxCodePoints} code points in double quotes, a double quote inside written as
     * {@code \"}, and {@code ...} after the closing quote when the text was cut. Null is shown as
     * {@code null}, without quotes.
     *
     * @throws IllegalArgumentException if {@code maxCodePoints} is negative
     */
    public static String quote(String text, int maxCodePoints) {
        if (maxCodePoints < 0) {
            throw new IllegalArgumentException("maxCodePoints must not be negative, not " + maxCodePoints);
        }
        if (text == null) {
            return "null";
        }
        boolean cut = text.codePointCount(0, text.length()) > maxCodePoints;
        String shown = cut ? text.substring(0, text.offsetByCodePoints(0, maxCodePoints)) : text;
        return "\"" + display(shown).replace("\"", "\\\"") + "\"" + (cut ? "..." : "");
    }

    private static String escape(int codePoint) {
        return codePoint > 0xFFFF ? String.format("\\U%08x", codePoint) : String.format("\\u%04x", codePoint);
    }
}
