package io.backstop.server.guard.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonAnswerValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonAnswerValidator person() throws Exception {
        return JsonAnswerValidator.compile(JSON.readTree("""
                {"type": "object", "required": ["name", "age"], "additionalProperties": false,
                 "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}}"""));
    }

    @Test
    void aMatchingAnswerHasNoViolations() throws Exception {
        assertThat(person().validate("{\"name\": \"Ada\", \"age\": 36}")).isEmpty();
    }

    @Test
    void eachViolationNamesWhereAndWhat() throws Exception {
        var v = person().validate("{\"name\": 7, \"age\": -1, \"x\": true}");
        assertThat(v).hasSize(3);
        assertThat(v).extracting(JsonAnswerValidator.Violation::path).containsExactlyInAnyOrder("/name", "/age", "");
    }

    @Test
    void textThatIsNotOneJsonValueIsAViolation() throws Exception {
        assertThat(person().validate("Sure! {\"name\": \"Ada\"}")).singleElement().satisfies(x -> assertThat(x.message()).startsWith("not valid JSON"));
        assertThat(person().validate("{\"name\": \"Ada\", \"age\": 1} trailing")).isNotEmpty();
        assertThat(JsonAnswerValidator.anyJson().validate("[1, 2]")).isEmpty();
        assertThat(JsonAnswerValidator.anyJson().validate("")).isNotEmpty();
    }

    @Test
    void anInvalidSchemaFailsAtCompileTime() {
        assertThatThrownBy(() -> JsonAnswerValidator.compile(JSON.readTree("[1]"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonAnswerValidator.compile(JSON.readTree("{\"$ref\": \"#/$defs/missing\"}"))).isInstanceOf(IllegalArgumentException.class);
    }
}
