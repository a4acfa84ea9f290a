package datastore.store;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import datastore.InvalidNameException;

import org.junit.Test;

public class EntryRulesTest {

    private static String refusal(String name) {
        return assertThrows(InvalidNameException.class, () -> EntryRules.checkName(name)).getMessage();
    }

    @Test
    public void validNames() {
        for (String name : new String[] {"a", "x".repeat(255), "é".repeat(127), "\uD83D\uDE00".repeat(63),
                "with space", "dots.and/slashes", "\u00A0non-breaking", "\u200Bzero width"}) {
            assertEquals(name, EntryRules.checkName(name));
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
}
