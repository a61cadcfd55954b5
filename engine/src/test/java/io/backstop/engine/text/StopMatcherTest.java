package io.backstop.engine.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    @Test
    void holdsBackTextThatCouldStillBecomeAStopString() {
        StopMatcher m = new StopMatcher(List.of("the end"));
        assertThat(m.feed("and th").emit()).isEqualTo("and ");
        assertThat(m.feed("e e").emit()).isEmpty();
        StopMatcher.Step last = m.feed("ra");
        assertThat(last.stopped()).isFalse();
        assertThat(last.emit()).isEqualTo("the era");
    }

    @Test
    void stopStringSplitAcrossFeedsIsFoundAndNeverEmitted() {
        StopMatcher m = new StopMatcher(List.of("STOP"));
        StringBuilder out = new StringBuilder();
        for (String piece : List.of("go", " S", "T", "O", "P and more")) {
            StopMatcher.Step s = m.feed(piece);
            out.append(s.emit());
            if (s.stopped()) break;
        }
        assertThat(out.toString()).isEqualTo("go ");
        assertThat(m.isStopped()).isTrue();
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        StopMatcher m = new StopMatcher(List.of("at", "the c"));
        StopMatcher.Step s = m.feed("so the cat");
        assertThat(s.stopped()).isTrue();
        assertThat(s.emit()).isEqualTo("so ");
    }

    @Test
    void flushReleasesHeldTextWhenGenerationEndsOtherwise() {
        StopMatcher m = new StopMatcher(List.of("###"));
        assertThat(m.feed("abc#").emit()).isEqualTo("abc");
        assertThat(m.flush()).isEqualTo("#");
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        StopMatcher m = new StopMatcher(List.of());
        assertThat(m.feed("anything").emit()).isEqualTo("anything");
    }
}
