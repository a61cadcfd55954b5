package io.backstop.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The 95% confidence interval of a median that server-overhead --observe compare reports. */
class MedianIntervalTest {
    private static List<Double> oneTo(int n) {
        List<Double> v = new ArrayList<>();
        for (int i = 1; i <= n; i++) v.add((double) i);
        Collections.shuffle(v, new java.util.Random(7)); // order does not matter
        return v;
    }

    @Test
    void twentyValuesGiveTheSixthAndFifteenth() {
        assertThat(ServerOverheadCommand.medianInterval(oneTo(20))).containsExactly(6.0, 15.0);
    }

    @Test
    void aHundredValuesGiveTheFortiethAndSixtyFirst() {
        assertThat(ServerOverheadCommand.medianInterval(oneTo(100))).containsExactly(40.0, 61.0);
    }

    @Test
    void tooFewValuesGiveTheWholeRange() {
        assertThat(ServerOverheadCommand.medianInterval(oneTo(5))).containsExactly(1.0, 5.0);
        assertThat(ServerOverheadCommand.medianInterval(List.of())).containsExactly(Double.NaN, Double.NaN);
    }
}
