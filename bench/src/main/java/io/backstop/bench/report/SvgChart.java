package io.backstop.bench.report;

import java.util.List;
import java.util.Locale;

/** Small self-contained SVG charts (no plotting library needed to read a benchmark). */
public final class SvgChart {
    private static final String[] COLOURS = {"#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#c53030"};
    private static final int W = 640, H = 360, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 60;

    /** A named series of values, one per category or x position. */
    public record Series(String name, List<Double> values) {}

    private SvgChart() {}

    /** Grouped bars: one group per category, one bar per series. */
    public static String bars(String title, String yLabel, List<String> categories, List<Series> series) {
        double max = series.stream().flatMap(s -> s.values().stream()).filter(v -> !v.isNaN()).mapToDouble(Double::doubleValue).max().orElse(1);
        StringBuilder sb = start(title, yLabel, max);
        double groupW = (double) (W - LEFT - RIGHT) / categories.size();
        double barW = groupW * 0.8 / series.size();
        for (int c = 0; c < categories.size(); c++) {
            double gx = LEFT + c * groupW + groupW * 0.1;
            for (int s = 0; s < series.size(); s++) {
                double v = series.get(s).values().get(c);
                if (Double.isNaN(v)) continue;
                double h = (H - TOP - BOTTOM) * v / max;
                sb.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>%n",
                        gx + s * barW, H - BOTTOM - h, barW * 0.95, h, COLOURS[s % COLOURS.length]));
                sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle'>%s</text>%n",
                        gx + s * barW + barW / 2, H - BOTTOM - h - 3, fmt(v)));
            }
            sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='12' text-anchor='middle'>%s</text>%n",
                    gx + groupW * 0.4, H - BOTTOM + 18, esc(categories.get(c))));
        }
        return end(sb, series);
    }

    /** Lines over numeric x positions. */
    public static String lines(String title, String xLabel, String yLabel, List<Double> xs, List<Series> series) {
        double max = series.stream().flatMap(s -> s.values().stream()).filter(v -> !v.isNaN()).mapToDouble(Double::doubleValue).max().orElse(1);
        double xmax = xs.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        StringBuilder sb = start(title, yLabel, max);
        for (int s = 0; s < series.size(); s++) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < xs.size(); i++) {
                double v = series.get(s).values().get(i);
                if (Double.isNaN(v)) continue;
                double x = LEFT + (W - LEFT - RIGHT) * xs.get(i) / xmax;
                double y = H - BOTTOM - (H - TOP - BOTTOM) * v / max;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                sb.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>%n", x, y, COLOURS[s % COLOURS.length]));
            }
            sb.append(String.format("<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n", pts.toString().trim(), COLOURS[s % COLOURS.length]));
        }
        for (double x : xs) {
            sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='12' text-anchor='middle'>%s</text>%n",
                    LEFT + (W - LEFT - RIGHT) * x / xmax, H - BOTTOM + 18, fmt(x)));
        }
        sb.append(String.format("<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>%n", (W + LEFT) / 2, H - BOTTOM + 36, esc(xLabel)));
        return end(sb, series);
    }

    private static StringBuilder start(String title, String yLabel, double max) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>%n", W, H));
        sb.append(String.format("<rect width='%d' height='%d' fill='white'/>%n", W, H));
        sb.append(String.format("<text x='%d' y='22' font-size='15' text-anchor='middle'>%s</text>%n", W / 2, esc(title)));
        sb.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", LEFT, TOP, LEFT, H - BOTTOM));
        sb.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            double y = H - BOTTOM - (H - TOP - BOTTOM) * i / 4.0;
            sb.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' font-size='10' text-anchor='end'>%s</text>%n", LEFT - 5, y + 3, fmt(v)));
            sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>%n", LEFT, y, W - RIGHT, y));
        }
        sb.append(String.format("<text x='16' y='%d' font-size='12' transform='rotate(-90 16 %d)' text-anchor='middle'>%s</text>%n",
                (H - BOTTOM + TOP) / 2, (H - BOTTOM + TOP) / 2, esc(yLabel)));
        return sb;
    }

    private static String end(StringBuilder sb, List<Series> series) {
        for (int s = 0; s < series.size(); s++) {
            int x = LEFT + 10 + s * 150;
            sb.append(String.format("<rect x='%d' y='%d' width='12' height='12' fill='%s'/>%n", x, H - 18, COLOURS[s % COLOURS.length]));
            sb.append(String.format("<text x='%d' y='%d' font-size='12'>%s</text>%n", x + 16, H - 8, esc(series.get(s).name())));
        }
        return sb.append("</svg>\n").toString();
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return String.valueOf((long) v);
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
