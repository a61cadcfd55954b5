package io.backstop.server.guard.normalize;

/**
 * Cyrillic, Greek and other letters that look like Latin ones, folded to the Latin letter, so
 * "іgnоrе" (Cyrillic і, о, е) reads as "ignore" to every detector. Only unmistakable look-alikes:
 * a Greek or Cyrillic word that merely shares letters is changed too, which is harmless for detection
 * (the original text is what the model sees, unless a check redacts it).
 */
final class Homoglyphs {
    private static final char[] TABLE = new char[0x2200];

    static {
        // Cyrillic lower / upper
        map("аa еe оo рp сc уy хx іi јj ѕs ԁd ԛq ԝw һh ӏl ᴦr ьb");
        map("АA ВB ЕE КK МM НH ОO РP СC ТT УY ХX ІI ЈJ ЅS ԚQ ԜW Ԁd");
        // Greek lower / upper
        map("αa οo ρp νv τt ιi κk χx υu ϲc ϳj");
        map("ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX Ϲc");
        // Latin look-alikes outside ASCII (dotless i, long s, IPA letters).
        map("ıi ſs ɑa ɡg ɩi ʏy ℓl");
    }

    private Homoglyphs() {}

    private static void map(String pairs) {
        for (String p : pairs.split(" ")) TABLE[p.charAt(0)] = p.charAt(1);
    }

    static int fold(int cp) {
        if (cp < TABLE.length) {
            char c = TABLE[cp];
            if (c != 0) return c;
        }
        return cp;
    }
}
