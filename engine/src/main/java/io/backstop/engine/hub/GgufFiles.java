package io.backstop.engine.hub;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the GGUF file a quantization tag or a file name means among a repository's files. A tag
 * matches a {@code .gguf} name that contains it, case-insensitively, as a whole word: {@code Q4_K}
 * matches neither {@code …-Q4_K_M.gguf} nor {@code …-IQ4_K.gguf}. Vision projectors ({@code mmproj*})
 * are never the model. A model split into parts ({@code …-00001-of-00003.gguf}) is refused: the
 * engine loads one file.
 */
final class GgufFiles {
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

    private GgufFiles() {}

    static boolean isGguf(String name) {
        return name.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /** The model's GGUF files: {@code .gguf} names except vision projectors. */
    static List<String> models(Collection<String> names) {
        return names.stream().filter(GgufFiles::isGguf).filter(n -> !baseName(n).toLowerCase(Locale.ROOT).startsWith("mmproj")).sorted().toList();
    }

    /** The model files whose name carries the tag as a whole word. */
    static List<String> matching(Collection<String> names, String tag) {
        Pattern word = Pattern.compile("(?<![A-Za-z0-9])" + Pattern.quote(tag) + "(?![A-Za-z0-9_])", Pattern.CASE_INSENSITIVE);
        return models(names).stream().filter(n -> word.matcher(n).find()).toList();
    }

    /**
     * The one file {@code tag} means in {@code repo}.
     *
     * @throws ModelFetchException when no file or several match (listing the repository's GGUF files), or the match is split
     */
    static String byTag(Collection<String> names, String tag, String repo) {
        List<String> models = models(names);
        if (models.isEmpty()) throw new ModelFetchException("'" + repo + "' has no .gguf files");
        List<String> matches = matching(names, tag);
        if (matches.isEmpty()) {
            throw new ModelFetchException("no GGUF file of '" + repo + "' matches the tag '" + tag + "'; its GGUF files: " + String.join(", ", models));
        }
        refuseSplit(matches, "'" + repo + ":" + tag + "'");
        if (matches.size() > 1) {
            throw new ModelFetchException("the tag '" + tag + "' matches several GGUF files of '" + repo + "': " + String.join(", ", matches)
                    + "; give a longer tag or name one with --file");
        }
        return matches.getFirst();
    }

    /** The file named {@code file} (a path in the repo, or a file name found once in it). */
    static String byName(Collection<String> names, String file, String repo) {
        if (!isGguf(file)) throw new ModelFetchException("--file must name a .gguf file, got '" + file + "'");
        List<String> found = names.contains(file) ? List.of(file) : names.stream().filter(n -> baseName(n).equals(file)).toList();
        if (found.size() != 1) {
            String what = found.isEmpty() ? "has no file '" + file + "'" : "has several files named '" + file + "': " + String.join(", ", found);
            throw new ModelFetchException("'" + repo + "' " + what + "; its GGUF files: " + String.join(", ", models(names)));
        }
        refuseSplit(found, "'" + found.getFirst() + "'");
        return found.getFirst();
    }

    /** One model in several files: llama.cpp's split format, which the engine does not read. */
    private static void refuseSplit(List<String> matches, String what) {
        List<String> parts = new ArrayList<>();
        for (String m : matches) if (SPLIT.matcher(baseName(m)).matches()) parts.add(m);
        if (parts.isEmpty()) return;
        Matcher first = SPLIT.matcher(baseName(parts.getFirst()));
        first.matches();
        throw new ModelFetchException(what + " is split into " + Integer.parseInt(first.group(3)) + " files (" + String.join(", ", parts)
                + "); Backstop loads single-file GGUFs: merge the parts with llama.cpp's `llama-gguf-split --merge FIRST-PART OUT.gguf`"
                + " and serve OUT.gguf, or pick a smaller quantization");
    }

    static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
