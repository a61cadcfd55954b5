package io.backstop.server.guard.pii;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.GuardTestData;
import io.backstop.server.guard.eval.CoreTypes;
import io.backstop.server.guard.eval.GuardRow;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PiiRecognizersTest {
    private final PiiScanner scanner = PiiScanner.all();

    private Set<String> types(String text) {
        return scanner.scan(text).stream().map(Finding::type).collect(Collectors.toSet());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "write to jane.doe+news@example.co.uk today|EMAIL",
            "call me at +44 20 7946 0958|PHONE",
            "my phone: (415) 555-2671|PHONE",
            "Telefon: 030 901820|PHONE",
            "card 4111 1111 1111 1111 expires soon|CREDIT_CARD",
            "Maestro 501864667909 please|CREDIT_CARD",
            "IBAN DE89 3704 0044 0532 0130 00|IBAN",
            "iban gb82west12345698765432 in lower case|IBAN",
            "my ssn is 536-22-8726|US_SSN",
            "server at 10.20.30.40 is down|IP_ADDRESS",
            "reach fe80::1%eth0 or 2001:db8::192.0.2.1|IP_ADDRESS",
            "Server IP:10.0.0.1 rejected the login|IP_ADDRESS",
            "addr:192.168.1.20 port:8080|IP_ADDRESS"})
    void findsEachCoreType(String text, String type) {
        assertThat(types(text)).contains(type);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "my card is 4111 1111 1111 1112",            // Luhn fails
            "order 1748503543012 shipped",               // Luhn-valid, no issuer
            "DE89 3704 0044 0532 0130 01",               // wrong check digits
            "SSN 078-05-0000 and 666-12-3456 and 900-12-3456 and 123-00-4567",
            "SSN 693-09.4444",                           // mixed separators
            "MAC aa:bb:cc:dd:ee:ff at 12:34:56, ratio 1:2:3:4, std::cout",
            "version 256.256.256.256 and 1.2.3",
            "not mapped ::ffff:192.168.1 nor 2001:db8::256.1.1.1",
            "How do I check my balance on my credit card?",
            "The bus drops you off at 13813 3784 Archwood Avenue St.",
            "this is not an email: hello-world here, nor info@presidio."})
    void hardNegativesAreNotFlagged(String text) {
        assertThat(types(text)).doesNotContainAnyElementsOf(CoreTypes.ALL);
    }

    @Test
    void theIpScansBeforeTheRegexesMissNoAddressShape() {
        for (String ip6 : new String[] {"::1", "fe80::1%eth0", "2001:db8:0:0:0:0:2:1", "::ffff:192.0.2.1", "2001:0db8:85a3::8a2e:0370:7334"}) {
            assertThat(IpRecognizer.hasColonPair("addr " + ip6 + " end")).as(ip6).isTrue();
        }
        assertThat(IpRecognizer.hasDigitDotDigit("host 10.0.0.1")).isTrue();
        assertThat(IpRecognizer.hasDigitDotDigit(".5 and then 10.0.0.1")).as("a dot first in the text").isTrue();
        assertThat(IpRecognizer.hasColonPair("Note: the plan: three steps.")).isFalse();
        assertThat(IpRecognizer.hasDigitDotDigit("It ends. Then 3 more. And .5 or 5.")).isFalse();
    }

    @Test
    void offsetsPointAtTheOriginalTextEvenAfterInvisibleAndLookAlikeChars() {
        String text = "Contact: j\u200Bane@\u0435xample.com now";  // zero-width space and Cyrillic е inside the address
        List<Finding> f = scanner.scan(text);
        assertThat(f).hasSize(1);
        assertThat(text.substring(f.getFirst().start(), f.getFirst().end())).isEqualTo("j\u200Bane@\u0435xample.com");
    }

    @Test
    void onTheTrainingSideOfTheDataEveryCoreTypeIsFoundPrecisely() {
        List<GuardRow> rows = GuardTestData.trainSide("pii.jsonl");
        int tp = 0, fp = 0, fn = 0;
        for (GuardRow r : rows) {
            Set<String> found = types(r.text());
            for (String t : CoreTypes.ALL) {
                boolean p = found.contains(t), a = r.types().contains(t);
                if (p && a) tp++;
                else if (p) fp++;
                else if (a) fn++;
            }
        }
        assertThat((double) tp / (tp + fn)).as("micro recall").isGreaterThan(0.97);
        assertThat((double) tp / (tp + fp)).as("micro precision").isGreaterThan(0.95);
    }
}
