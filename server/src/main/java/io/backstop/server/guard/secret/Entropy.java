package io.backstop.server.guard.secret;

/** Shannon entropy in bits per char: random keys score high (4+), words and repeated placeholders low. */
public final class Entropy {
    private Entropy() {}

    public static double shannon(CharSequence s) {
        if (s.length() == 0) return 0;
        int[] counts = new int[128];
        int other = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 128) counts[c]++;
            else other++;
        }
        double h = 0, n = s.length();
        for (int c : counts) {
            if (c > 0) h -= c / n * (Math.log(c / n) / Math.log(2));
        }
        if (other > 0) h -= other / n * (Math.log(other / n) / Math.log(2));
        return h;
    }
}
