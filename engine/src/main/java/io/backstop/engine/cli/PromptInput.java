package io.backstop.engine.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The text a command works on: given inline, as {@code -} for standard input, or from a file. Text read
 * from stdin or a file loses one trailing newline, as editors add one (llama.cpp's {@code -f} does the same).
 */
final class PromptInput {
    private PromptInput() {}

    /**
     * @param inline     the inline flag's value ({@code -} = stdin), or null
     * @param file       the file flag's value, or null
     * @param inlineFlag name of the inline flag in messages, e.g. {@code --prompt}
     * @param fileFlag   name of the file flag in messages, e.g. {@code --prompt-file}
     */
    static String read(CommandSpec spec, String inline, Path file, String inlineFlag, String fileFlag, InputStream stdin) {
        if (inline != null && file != null) throw CliErrors.usage(spec, "give " + inlineFlag + " or " + fileFlag + ", not both");
        if (inline == null && file == null) {
            throw CliErrors.usage(spec, "missing " + inlineFlag + ": give " + inlineFlag + " TEXT, " + inlineFlag + " - (standard input) or " + fileFlag + " FILE");
        }
        if (file != null) {
            try {
                return chompNewline(decode(Files.readAllBytes(file)));
            } catch (NoSuchFileException e) {
                throw CliErrors.usage(spec, fileFlag + ": no such file: " + file);
            } catch (CharacterCodingException e) {
                throw CliErrors.usage(spec, fileFlag + ": " + file + " is not UTF-8 text");
            } catch (IOException e) {
                throw CliErrors.usage(spec, fileFlag + ": cannot read " + file + ": " + e.getMessage());
            }
        }
        if (!inline.equals("-")) return inline;
        try {
            return chompNewline(decode(stdin.readAllBytes()));
        } catch (CharacterCodingException e) {
            throw CliErrors.usage(spec, inlineFlag + " -: standard input is not UTF-8 text");
        } catch (IOException e) {
            throw CliErrors.usage(spec, inlineFlag + " -: cannot read standard input: " + e.getMessage());
        }
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    }

    private static String chompNewline(String s) {
        if (s.endsWith("\r\n")) return s.substring(0, s.length() - 2);
        if (s.endsWith("\n")) return s.substring(0, s.length() - 1);
        return s;
    }
}
