package datastore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class NamesTest {

    private static String refusal(String name) {
        return assertThrows(InvalidNameException.class, () -> Names.check(name)).getMessage();
    }

    @Test
    public void validNames() {
        for (String name : new String[] {"a", "x".repeat(255), "é".repeat(127), "\uD83D\uDE00".repeat(63),
                "with space", "dots.and/slashes", "\u00A0non-breaking", "caf\u00E9", "\u05E9\u05DC\u05D5\u05DD hebrew",
                // Emoji sequences: a zero-width joiner between symbols (family; rainbow flag with VS16).
                "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08"}) {
            assertEquals(name, Names.check(name));
        }
    }

    @Test
    public void eachRuleSaysWhatIsWrong() {
        assertTrue(refusal(null).contains("not null"));
        assertTrue(refusal("").contains("must not be empty"));
        assertTrue(refusal("x".repeat(256)).contains("256 bytes in UTF-8; the limit is 255"));
        assertTrue(refusal("é".repeat(128)).contains("256 bytes in UTF-8"));
        assertTrue(refusal("\uD83D\uDE00".repeat(64)).contains("256 bytes in UTF-8"));
        assertTrue(refusal("ab\uD800").contains("unpaired surrogate \\ud800 at index 2"));
        assertTrue(refusal("\uDC00").contains("unpaired surrogate \\udc00 at index 0"));
        assertTrue(refusal("a\u001Fb").contains("control character \\u001f at index 1"));
        assertTrue(refusal("\u009F").contains("control character \\u009f"));
    }

    @Test
    public void namesThatDisplayAsOtherNamesAreRefused() {
        // A right-to-left override makes "gnp.logo" read as "logo.png".
        assertTrue(refusal("\u202Egnp.logo").contains("invisible format character \\u202e at index 0"));
        for (String spoof : new String[] {"lo\u200Bgo", "logo\u200C", "\uFEFFlogo", "lo\u2060go", "a\u2066b\u2069",
                "\u200Elogo", "lo\u200Dgo", "\u200D", "\uD83D\uDE00\u200D", "x\uDB40\uDC20"}) {
            assertTrue(spoof, refusal(spoof).contains("invisible format character"));
        }
    }

    @Test
    public void aNameIsDisplayedWithWhatItHidesEscaped() {
        assertEquals("\\u202egnp.logo", Names.display("\u202Egnp.logo"));
        assertEquals("lo\\u200bgo a\\u0007b \\ud800", Names.display("lo\u200Bgo a\u0007b \uD800"));
        assertEquals("x\\U000e0020", Names.display("x\uDB40\uDC20"));
        assertEquals("caf\u00E9 \uD83D\uDE00", Names.display("caf\u00E9 \uD83D\uDE00"));
        String message = refusal("\u202Eevil");
        assertTrue(message, message.startsWith("invalid name \"\\u202eevil\": "));
    }

    @Test
    public void aQuotedFieldIsCutByCodePointsAndEscapesItsQuotes() {
        assertEquals("\"say \\\"hi\\\"\"", Names.quote("say \"hi\"", 10));
        assertEquals("\"ab\"...", Names.quote("abc", 2));
        assertEquals("\"abc\"", Names.quote("abc", 3));
        // A cut never splits a surrogate pair, and what is kept is still displayed escaped.
        assertEquals("\"\uD83D\uDE00\\u202e\"...", Names.quote("\uD83D\uDE00\u202Ex", 2));
        assertEquals("null", Names.quote(null, 5));
        assertThrows(IllegalArgumentException.class, () -> Names.quote("a", -1));
    }

    @Test
    public void aRefusalQuotesTheNameCutToSixtyFourCodePoints() {
        String message = refusal("x".repeat(300));
        assertTrue(message, message.startsWith("invalid name \"" + "x".repeat(64) + "\"...: 300 bytes in UTF-8"));
    }
}
