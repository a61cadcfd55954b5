package io.backstop.server.guard.context;

import io.backstop.engine.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits a chat into a token budget by its context policy. {@code truncate} keeps every system (and
 * developer) message and the longest run of latest turns that fits — at least the last message, and
 * starting with a user turn where it can, because many chat templates insist that turns alternate.
 * {@code summarize} keeps fewer latest turns, leaving room for a summary of the older ones, which is
 * appended to the system prompt (one system message, as every template accepts); when the summary
 * cannot be made or does not fit, it truncates instead. Counting is the caller's (the target model's
 * tokenizer and chat template), and monotone in the turns kept, so a binary search finds the cut.
 */
public final class ContextFitter {
    private static final Logger LOG = LoggerFactory.getLogger(ContextFitter.class);
    public static final String SUMMARY_HEADER = "Summary of the earlier conversation:\n";

    /** Prompt tokens of a chat as the target would see it. */
    public interface Counter {
        int tokens(List<ChatMessage> messages);
    }

    /** Writes a summary of older turns (a model call; may fail). */
    public interface Summarizer {
        String summarize(List<ChatMessage> older);
    }

    /**
     * The messages to send: the indices kept from the original chat, in order, and a summary of the
     * dropped turns to add to the system prompt (null when truncated).
     */
    public record Plan(List<Integer> kept, String summary, int dropped) {
        public Plan {
            kept = List.copyOf(kept);
        }

        public List<ChatMessage> apply(List<ChatMessage> all) {
            List<ChatMessage> out = new ArrayList<>(kept.size() + 1);
            for (int i : kept) out.add(all.get(i));
            if (summary == null) return out;
            for (int i = 0; i < out.size(); i++) {
                if (isSystem(out.get(i).role())) {
                    out.set(i, new ChatMessage(out.get(i).role(), withSummary(out.get(i).content(), summary)));
                    return out;
                }
            }
            out.addFirst(ChatMessage.system(withSummary(null, summary)));
            return out;
        }
    }

    private ContextFitter() {}

    /** A system prompt with the summary appended (or the summary alone when there is none). */
    public static String withSummary(String system, String summary) {
        return (system == null || system.isEmpty() ? "" : system + "\n\n") + SUMMARY_HEADER + summary.strip();
    }

    public static boolean isSystem(String role) {
        return role.equals("system") || role.equals("developer");
    }

    /**
     * The plan that fits {@code messages} into {@code budget} tokens, or null when they fit already, the
     * policy is {@code error}, or not even the system prompt and the last message fit (the target then
     * reports the overflow as it always does).
     *
     * @param summaryTokens room kept for the summary ({@code summarize})
     */
    public static Plan plan(List<ChatMessage> messages, int budget, ContextPolicy policy, Counter counter, Summarizer summarizer, int summaryTokens) {
        if (policy == ContextPolicy.ERROR || counter.tokens(messages) <= budget) return null;
        List<Integer> system = new ArrayList<>(), turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) (isSystem(messages.get(i).role()) ? system : turns).add(i);
        if (policy == ContextPolicy.SUMMARIZE && summarizer != null) {
            int k = latestTurns(messages, system, turns, budget - summaryTokens, counter);
            if (k >= 1 && k < turns.size()) {
                List<ChatMessage> older = new ArrayList<>();
                for (int i : turns.subList(0, turns.size() - k)) older.add(messages.get(i));
                try {
                    Plan p = new Plan(keep(system, turns, k), summarizer.summarize(older), turns.size() - k);
                    if (counter.tokens(p.apply(messages)) <= budget) return p;
                    LOG.warn("the summary of {} turns does not fit the context; truncating instead", older.size());
                } catch (RuntimeException e) {
                    LOG.warn("summarizing {} older turns failed ({}); truncating instead", older.size(), e.getMessage());
                }
            }
        }
        int k = latestTurns(messages, system, turns, budget, counter);
        return k < 1 ? null : new Plan(keep(system, turns, k), null, turns.size() - k);
    }

    /** How many latest turns fit with every system message: the largest k, then one less if that starts on an assistant turn. */
    private static int latestTurns(List<ChatMessage> messages, List<Integer> system, List<Integer> turns, int budget, Counter counter) {
        int lo = 0, hi = turns.size(); // invariant: lo fits (0 is assumed to), hi may not
        if (turns.isEmpty() || counter.tokens(pick(messages, keep(system, turns, 1))) > budget) return 0;
        lo = 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (counter.tokens(pick(messages, keep(system, turns, mid))) <= budget) lo = mid;
            else hi = mid - 1;
        }
        if (lo > 1 && messages.get(turns.get(turns.size() - lo)).role().equals("assistant")) lo--;
        return lo;
    }

    private static List<Integer> keep(List<Integer> system, List<Integer> turns, int k) {
        List<Integer> kept = new ArrayList<>(system);
        kept.addAll(turns.subList(turns.size() - k, turns.size()));
        kept.sort(null);
        return kept;
    }

    private static List<ChatMessage> pick(List<ChatMessage> messages, List<Integer> indices) {
        List<ChatMessage> out = new ArrayList<>(indices.size());
        for (int i : indices) out.add(messages.get(i));
        return out;
    }

    /** The cache key of a summary: a digest of who summarizes and the turns summarized. */
    public static String key(String summarizer, List<ChatMessage> older) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(summarizer.getBytes(StandardCharsets.UTF_8));
            for (ChatMessage m : older) {
                d.update((byte) 0);
                d.update(m.role().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 1);
                d.update(m.content().getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
