package io.backstop.engine.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8AccumulatorTest {

    @Test
    void multiByteCharactersArrivingByteByByteAreEmittedWhole() {
        String text = "é€😀漢";
        Utf8Accumulator acc = new Utf8Accumulator();
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            String piece = acc.append(new byte[] {b});
            assertThat(piece).doesNotContain("\uFFFD");
            if (!piece.isEmpty()) assertThat(piece.codePointCount(0, piece.length())).isEqualTo(1);
            out.append(piece);
        }
        assertThat(out.append(acc.flush()).toString()).isEqualTo(text);
    }

    @Test
    void invalidBytesBecomeTheReplacementCharacterInsteadOfVanishing() {
        Utf8Accumulator acc = new Utf8Accumulator();
        String s = acc.append(new byte[] {(byte) 0xFF, 'a'});
        assertThat(s + acc.flush()).isEqualTo("\uFFFDa");
    }

    @Test
    void anUnfinishedCharacterAtTheEndIsFlushedAsReplacement() {
        Utf8Accumulator acc = new Utf8Accumulator();
        assertThat(acc.append(new byte[] {(byte) 0xE2, (byte) 0x82})).isEmpty();
        assertThat(acc.flush()).isEqualTo("\uFFFD");
    }
}
