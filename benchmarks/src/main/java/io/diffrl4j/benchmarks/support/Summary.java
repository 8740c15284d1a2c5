package io.diffrl4j.benchmarks.support;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Order statistics of repeated measurements: the median as the central value and the spread as
 * min / max and the quartiles (linear interpolation between order statistics), because run-to-run
 * noise on a shared CPU is skewed and a mean would hide it.
 *
 * @param n number of values
 * @param median the 50th percentile
 * @param min the smallest value
 * @param max the largest value
 * @param p25 the 25th percentile
 * @param p75 the 75th percentile
 */
public record Summary(int n, double median, double min, double max, double p25, double p75) {

    /** @param values at least one value @return their summary */
    public static Summary of(double... values) {
        if (values.length == 0) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return new Summary(s.length, quantile(s, 0.5), s[0], s[s.length - 1], quantile(s, 0.25), quantile(s, 0.75));
    }

    /** @param values the values @return their summary */
    public static Summary of(List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** @return (max - min) / median in percent */
    public double spreadPercent() {
        return 100 * (max - min) / median;
    }

    /**
     * @param digits significant digits
     * @return "median [min - max]"
     */
    public String format(int digits) {
        String f = "%." + digits + "g";
        return String.format(Locale.ROOT, f + " [" + f + " - " + f + "]", median, min, max);
    }

    /** @return this summary as JSON */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("n", this.n);
        n.put("median", median);
        n.put("min", min);
        n.put("max", max);
        n.put("p25", p25);
        n.put("p75", p75);
        return n;
    }
}
