package io.backstop.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test schemas that together use every supported keyword, and a reference validator (networknt, formats asserted). */
public final class Schemas {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    private Schemas() {}

    /** Name → schema. */
    public static Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("person", """
                {"type":"object","title":"Person","properties":{
                  "name":{"type":"string","description":"full name"},
                  "age":{"type":"integer"},
                  "email":{"type":"string","format":"email"},
                  "birthday":{"type":"string","format":"date"},
                  "tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":3},
                  "active":{"type":"boolean"}},
                 "required":["name","age"],"additionalProperties":false}""");
        m.put("enums", """
                {"type":"object","properties":{
                  "color":{"enum":["red","green","blue"]},
                  "kind":{"const":"fixed"},
                  "size":{"enum":[1,2.5,null,true,"x\\"y"]}},
                 "required":["color","kind","size"],"additionalProperties":false}""");
        m.put("anyOf", """
                {"type":"object","properties":{
                  "id":{"anyOf":[{"type":"string","format":"uuid"},{"type":"integer"}]},
                  "note":{"type":["string","null"]},
                  "when":{"type":"string","format":"date-time"}},
                 "required":["id","note","when"],"additionalProperties":false}""");
        m.put("tree", """
                {"$defs":{"node":{"type":"object","properties":{
                   "value":{"type":"number"},
                   "children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},
                  "required":["value","children"],"additionalProperties":false}},
                 "$ref":"#/$defs/node"}""");
        m.put("pattern", """
                {"type":"object","properties":{
                  "code":{"type":"string","pattern":"^[A-Z]{3}-\\\\d{2,4}$"},
                  "points":{"type":"array","items":{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2},"minItems":1,"maxItems":4}},
                 "required":["code","points"]}""");
        m.put("list", """
                {"type":"array","items":{"type":"string","minLength":1,"maxLength":8},"minItems":2,"maxItems":5}""");
        m.put("map", """
                {"type":"object","additionalProperties":{"type":"integer"}}""");
        m.put("any", "{}");
        return m;
    }

    public static JsonNode parse(String json) throws Exception {
        return JSON.readTree(json);
    }

    /** Validation errors (empty when valid). */
    public static List<String> validate(String schema, String document) throws Exception {
        Schema s = REGISTRY.getSchema(JSON.readTree(schema));
        return s.validate(JSON.readTree(document)).stream().map(Object::toString).toList();
    }
}
