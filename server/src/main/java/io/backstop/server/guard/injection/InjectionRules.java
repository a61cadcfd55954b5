package io.backstop.server.guard.injection;

import io.backstop.server.guard.normalize.TextNormalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Phrase rules for prompt injection and jailbreaks, in English and German (and the commonest "forget
 * all instructions" in French, Spanish, Russian and Croatian), on normalised lower-case text; word
 * classes are Unicode-aware so "Ausführungen" is one word. A {@link Strength#STRONG} rule is an attack phrase on its own ("ignore all previous
 * instructions", "do anything now", "developer mode enabled"); a {@link Strength#WEAK} rule
 * ("pretend you are", "no restrictions") is common in harmless role-play too, so it only nudges the
 * classifier's score.
 */
public final class InjectionRules {
    public enum Strength { STRONG, WEAK }

    /**
     * A rule runs only when its lower-case text contains one of {@code anchors} (a plain substring search,
     * much cheaper than running every pattern over every prompt).
     */
    public record Rule(String name, Strength strength, Pattern pattern, List<String> anchors) {}

    private static final String PREV = "(?:previous|prior|above|preceding|earlier|foregoing|former|original|initial|old|system|developer|given|existing)";
    private static final String WHAT = "(?:instructions?|prompts?|rules|orders|directions|directives|guidelines|commands|tasks|context|messages|text|conversation|assignments?|programming|restrictions)";
    private static final String VORHER = "(?:vorherigen?|vorigen?|obigen?|bisherigen?|vorangegangenen?|vorhergehenden?|früheren?|alten|ursprünglichen?)";
    private static final String AUFTRAG = "(?:anweisungen|anweisung|befehle|aufgaben|aufträge|anordnungen|instruktionen|regeln|vorgaben|informationen|angaben)";

    private static final java.util.Map<String, List<String>> ANCHORS = java.util.Map.ofEntries(
            java.util.Map.entry("ignore-previous", List.of("ignor", "disregard", "forget", "skip", "overrid", "overwrit", "bypass", "neglect", "drop", "abandon")),
            java.util.Map.entry("ignore-above", List.of("ignore", "disregard", "forget")),
            java.util.Map.entry("new-instructions", List.of("new instructions", "new task", "new orders", "new rules", "new instruction")),
            java.util.Map.entry("dan", List.of(" dan", "\ndan", "\tdan", "\"dan", "dan mode", "anything now")), // not "dan" inside "guidance", "danger"
            java.util.Map.entry("developer-mode", List.of(" mode")),
            java.util.Map.entry("jailbreak", List.of("jailbr", "unfiltered", "ethical", "moral")),
            java.util.Map.entry("prompt-leak", List.of("prompt", "instructions", "system message")),
            java.util.Map.entry("prompt-leak-question", List.of("prompt", "instruction")),
            java.util.Map.entry("de-ignoriere", List.of("ignorier", "vergiss", "vergessen", "missachte", "überschreibe", "verwirf")),
            java.util.Map.entry("de-vergiss-alles", List.of("vergiss", "vergessen", "ignorier")),
            java.util.Map.entry("de-neue-aufgabe", List.of("neue")),
            java.util.Map.entry("de-prompt-leak", List.of("prompt", "anweisungen")),
            java.util.Map.entry("forget-what-was-said", List.of("forget", "ignore", "disregard", "despite")),
            java.util.Map.entry("ignore-sources", List.of("ignor", "disregard", "forget", "by the articles")),
            java.util.Map.entry("forget-all-other-languages", List.of("забуд", "игнорир", "zaboravi", "oublie", "ignore", "olvid", "ignora")),
            java.util.Map.entry("leave-behind", List.of("behind")),
            java.util.Map.entry("evil-ai", List.of("evil", "böse")),
            java.util.Map.entry("abandon-thoughts", List.of("abandon", "repeat after me")),
            java.util.Map.entry("stop-write", List.of("stop")),
            java.util.Map.entry("de-obiges-ignorieren", List.of("ignorieren", "vergessen", "missachten")),
            java.util.Map.entry("you-are-now", List.of("you are now", "now you are", "from now on", "ab jetzt", "ab sofort", "du bist")),
            java.util.Map.entry("act-as", List.of("as a", "as an", "as if", "imagine", "handle als")),
            java.util.Map.entry("pretend", List.of("pretend", "stell dir vor", "tu so")),
            java.util.Map.entry("no-restrictions", List.of("restrictions", "filters", "limitations", "censorship", "rules", "boundaries")),
            java.util.Map.entry("stay-in-character", List.of("character")),
            java.util.Map.entry("as-ai-model", List.of("openai", "chatgpt")));

    private static final List<Rule> RULES = List.of(
            strong("ignore-previous", "\\b(?:ignore|disregard|forget|skip|override|overwrite|bypass|neglect|drop|abandon)\\b[^.!?\\n]{0,30}?\\b(?:all|any|every|the|your|my|these|those)?\\s*" + PREV + "\\s+(?:\\w+\\s+){0,2}" + WHAT + "\\b"),
            strong("ignore-above", "\\b(?:ignore|disregard|forget)\\s+(?:all\\s+|everything\\s+)?(?:the\\s+)?(?:above|before|that|everything(?:\\s+(?:above|before|you\\s+know|i\\s+(?:said|told\\s+you)))?)\\b"),
            strong("new-instructions", "\\b(?:now\\s+)?(?:here\\s+(?:are|is|come)|follow)\\s+(?:your\\s+)?new\\s+(?:instructions|task|orders|rules)\\b|\\bnew\\s+(?:instructions|task)\\s*:"),
            strong("dan", "\\bdo\\s+anything\\s+now\\b|\\b(?:you\\s+are|act\\s+as|named|called|as)\\s+\"?dan\\b|\\bdan\\s+mode\\b"),
            strong("developer-mode", "\\b(?:developer|dev|god|debug|admin|sudo|unrestricted|jailbreak|jailbroken)\\s+mode\\b"),
            strong("jailbreak", "\\bjailbr(?:eak|oken)\\b|\\bunfiltered\\s+(?:and|ai|response|mode)|\\bno\\s+(?:ethical|moral)\\s+(?:guidelines|restrictions|principles|boundaries)"),
            strong("prompt-leak", "\\b(?:show|reveal|print|repeat|output|display|tell|give|write|spell|list|leak|disclose)\\s+(?:me\\s+|us\\s+)?(?:all\\s+)?(?:of\\s+)?(?:your|the)\\s+(?:(?:initial|original|system|hidden|secret|full|entire|first)\\s+)*(?:prompts?|instructions|system\\s+message|pre-?prompt)\\b"),
            strong("prompt-leak-question", "\\bwhat\\s+(?:is|was|were|are)\\s+(?:your|the)\\s+(?:(?:initial|original|system|hidden|secret|first)\\s+)+(?:prompts?|instructions?)\\b"),
            strong("de-ignoriere", "\\b(?:ignorier(?:e|en)?|vergiss|vergessen|missachte|überschreibe|verwirf)\\b[^.!?\\n]{0,30}?" + VORHER + "\\s+(?:\\w+\\s+)?" + AUFTRAG),
            strong("de-vergiss-alles", "\\b(?:vergiss|vergessen\\s+sie|ignoriere|ignorieren\\s+sie)\\s+(?:bitte\\s+)?(?:jetzt\\s+|nun\\s+)?(?:alles|alle|das\\s+obige|die\\s+obigen)\\b"),
            strong("de-neue-aufgabe", "\\b(?:nun|jetzt|dann)\\s+(?:folgen|kommt|kommen)\\s+(?:eine\\s+)?neue\\s+(?:anweisungen?|aufgaben?|instruktionen?|befehle?)"),
            strong("de-prompt-leak", "\\b(?:zeig(?:e|en\\s+sie)?|gib|nenne|verrate)\\s+(?:mir\\s+)?(?:alle\\s+)?(?:deine|ihre|den|die)\\s+(?:prompt|system-?prompt|anweisungen|prompt-texte)"),
            strong("forget-what-was-said", "\\b(?:forget|ignore|disregard)\\s+(?:about\\s+)?(?:(?:everything|all(?:\\s+that)?)\\s+(?:i|you)(?:'ve|\\s+have)?\\s+(?:said|told|been\\s+told|were\\s+told|wrote|know)"
                    + "|what\\s+(?:i|you)(?:'ve|\\s+have)?\\s+(?:said|told\\s+you|wrote|been\\s+told)\\s+(?:before|earlier|previously|so\\s+far|until\\s+now|above))|\\bdespite\\s+what\\s+you(?:'ve|\\s+have)?\\s+been\\s+told"),
            strong("ignore-sources", "\\b(?:ignore|ignoring|disregard(?:ing)?|forget)\\s+(?:all\\s+|the\\s+|any\\s+)?(?:provided\\s+)?(?:articles|documents|sources|context)\\b|\\bnot\\s+by\\s+the\\s+articles\\b"),
            strong("forget-all-other-languages", "\\b(?:забуд\\w*|игнориру\\w*)\\s+(?:все|всё)|\\b(?:zaboravi|zaboravite)\\s+sve\\b|\\b(?:oublie[zr]?|ignore[zr]?)\\s+(?:toutes?\\s+les|les)\\s+instructions\\b|\\b(?:olvida|ignora)\\s+(?:todas?\\s+)?(?:las\\s+)?instrucciones|\\b(?:olvidar?|olvide)\\s+todo\\b"),
            strong("leave-behind", "\\b(?:leave|put)\\s+(?:all\\s+)?(?:the\\s+|your\\s+)?(?:previous|prior|above|earlier)\\s+(?:\\w+\\s+)?behind\\b"),
            strong("de-obiges-ignorieren", "\\b(?:obigen?|vorherigen?|bisherigen?|vorangegangenen?)\\s+(?:\\w+\\s+){1,2}(?:ignorieren|vergessen|missachten)\\b"),
            weak("evil-ai", "\\b(?:evil|böse|bösartige)\\s+(?:ai|ki)\\b"),
            weak("abandon-thoughts", "\\babandon\\s+(?:all\\s+)?(?:your\\s+)?(?:thoughts|principles|values|beliefs)\\b|\\brepeat\\s+after\\s+me\\b"),
            weak("stop-write", "\\bstopp?\\b\\s*[-:–!,.]*\\s*(?:now\\s+)?(?:write|say|print|schreib\\w*|sag\\w*)\\b"),
            weak("you-are-now", "\\byou\\s+are\\s+now\\b|\\bnow\\s+you\\s+are\\b|\\bfrom\\s+now\\s+on\\b|\\bab\\s+(?:jetzt|sofort)\\s+(?:bist|sind)\\b|\\bdu\\s+bist\\s+(?:jetzt|nun)\\b"),
            weak("act-as", "\\b(?:act|acting)\\s+as\\s+(?:a|an|if)\\b|\\bimagine\\s+(?:that\\s+)?you\\s+are\\b|\\bhandle\\s+als\\b"),
            weak("pretend", "\\bpretend\\s+(?:that\\s+)?(?:you\\s+are|to\\s+be|you're)\\b|\\bstell\\s+dir\\s+vor,?\\s+du\\s+bist|\\btu\\s+so,?\\s+als"),
            weak("no-restrictions", "\\b(?:no|without|free\\s+(?:of|from))\\s+(?:any\\s+)?(?:restrictions|filters|limitations|censorship|rules|boundaries)\\b"),
            weak("stay-in-character", "\\bstay\\s+in\\s+character\\b|\\bbreak(?:ing)?\\s+character\\b"),
            weak("as-ai-model", "\\bopenai(?:'s)?\\s+(?:content\\s+)?polic(?:y|ies)\\b|\\bchatgpt\\b"));

    private InjectionRules() {}

    private static Rule strong(String name, String regex) {
        return rule(name, Strength.STRONG, regex);
    }

    private static Rule weak(String name, String regex) {
        return rule(name, Strength.WEAK, regex);
    }

    /**
     * Rules see normalised text, where Cyrillic and Greek look-alikes are already folded to Latin
     * ("забудьте" reads "зaбудьтe"), so the pattern and anchors are folded the same way.
     */
    private static Rule rule(String name, Strength strength, String regex) {
        List<String> anchors = ANCHORS.get(name).stream().map(InjectionRules::fold).toList();
        return new Rule(name, strength, Pattern.compile(fold(regex), Pattern.UNICODE_CHARACTER_CLASS), anchors);
    }

    private static String fold(String s) {
        return TextNormalizer.normalize(s).text();
    }

    public static List<Rule> all() {
        return RULES;
    }

    /** Rules that match the lower-cased normalised text, strong ones first. */
    /** Runs the rule's pattern only in a window around each anchor occurrence (a phrase never spans more). */
    private static boolean matchesNearAnchor(Rule r, String lower) {
        java.util.regex.Matcher m = null;
        int n = lower.length();
        for (String a : r.anchors()) {
            for (int k = lower.indexOf(a); k >= 0; k = lower.indexOf(a, k + 1)) {
                if (m == null) m = r.pattern().matcher(lower).useTransparentBounds(true).useAnchoringBounds(false);
                m.region(Math.max(0, k - WINDOW_BEFORE), Math.min(n, k + WINDOW_AFTER));
                if (m.find()) return true;
            }
        }
        return false;
    }

    private static final int WINDOW_BEFORE = 120;
    private static final int WINDOW_AFTER = 200;

    public static List<Rule> matches(String lower) {
        List<Rule> hits = new ArrayList<>(2);
        for (Rule r : RULES) if (matchesNearAnchor(r, lower)) hits.add(r);
        return hits;
    }
}
