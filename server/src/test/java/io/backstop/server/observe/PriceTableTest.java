package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.observe.cost.PriceTable;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class PriceTableTest {
    private final PriceTable prices = new PriceTable(Map.of("openai:gpt-4o-mini", new PriceTable.Price(0.15, 0.60, 0.075)), 0.05);

    @Test
    void remoteCostIsTokensTimesPricePerMillionWithCachedInputAtItsOwnPrice() {
        assertThat(prices.remote("openai", "gpt-4o-mini", 1000, 500, 0)).isCloseTo(0.00045, Offset.offset(1e-15));
        // 400 of the 1000 prompt tokens came from the provider's cache
        assertThat(prices.remote("openai", "gpt-4o-mini", 1000, 500, 400)).isCloseTo((600 * 0.15 + 400 * 0.075 + 500 * 0.60) / 1e6, Offset.offset(1e-15));
        assertThat(prices.remote("openai", "gpt-4o-mini", 1000, 500, 5000)).isCloseTo((1000 * 0.075 + 500 * 0.60) / 1e6, Offset.offset(1e-15));
    }

    @Test
    void unpricedModelsAndMissingUsageHaveNoCost() {
        assertThat(prices.remote("openai", "gpt-5", 10, 10, 0)).isNull();
        assertThat(prices.remote("openai", "gpt-4o-mini", null, 10, 0)).isNull();
    }

    @Test
    void localCostIsBusyCpuTimeAtTheCpuHourPrice() {
        // 36 s busy on 4 threads = 0.04 CPU-hours × $0.05
        assertThat(prices.local(36_000_000_000L, 4)).isCloseTo(0.002, Offset.offset(1e-15));
        assertThat(PriceTable.none().local(36_000_000_000L, 4)).isZero();
    }

    @Test
    void costsAreWrittenAsPlainDecimals() {
        assertThat(Attempt.usd(0.000056)).isEqualTo("0.000056");
        assertThat(Attempt.usd(1.0e-9)).isEqualTo("0.000000001");
        assertThat(Attempt.usd(0)).isEqualTo("0");
    }
}
