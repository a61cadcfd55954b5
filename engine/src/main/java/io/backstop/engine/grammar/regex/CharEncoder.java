package io.backstop.engine.grammar.regex;

import io.backstop.engine.grammar.ir.CodePoints;
import io.backstop.engine.grammar.ir.Expr;

/** How a character of a pattern appears in the output: as plain UTF-8, or escaped inside a JSON string. */
public interface CharEncoder {
    CharEncoder UTF8 = CodePoints::toUtf8;

    /** An expression matching the encoding of exactly one character of the set. */
    Expr encode(CodePoints chars);
}
