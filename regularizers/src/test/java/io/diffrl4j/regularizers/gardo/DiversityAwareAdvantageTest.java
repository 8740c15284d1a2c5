package io.diffrl4j.regularizers.gardo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Diversity shaping on hand-made embeddings, and against a direct transcription of the formula. */
class DiversityAwareAdvantageTest {
    private static final double EPS = 1e-12;
    private static final ImageEmbedder UNUSED = images -> {
        throw new AssertionError("the estimator reads the batch's embeddings, it never embeds");
    };

    private static RewardBatch batch(double[] rewards, float[][] embeddings, int groupSize) {
        return new RewardBatch("r", Map.of("r", rewards), embeddings, RewardTables.prompts(rewards.length / groupSize,
                groupSize), groupSize);
    }

    @Test
    void duplicatesOutliersAndNegativeAdvantages() {
        // f0 and f1 point the same way (duplicates), f2 and f3 are orthogonal to them and to each other.
        float[][] f = {{1, 0, 0}, {2, 0, 0}, {0, 1, 0}, {0, 0, 3}};
        double[] r = {3, 3, 0, 3};
        DiversityAwareAdvantage estimator = new DiversityAwareAdvantage(UNUSED);
        double[][] unit = new double[4][];
        for (int i = 0; i < 4; i++) {
            unit[i] = DiversityAwareAdvantage.normalise(f[i]);
        }
        assertArrayEquals(new double[] {0, 0, 1, 1}, estimator.distances(unit), EPS);
        // mean d = 0.5; mean r = 2.25: images 0, 1, 3 are at or above it.
        assertArrayEquals(new double[] {0, 0, 1, 2}, estimator.multipliers(r, new double[] {0, 0, 1, 1}), EPS);
        double[] a = estimator.estimate(batch(r, f, 4));
        assertArrayEquals(new double[] {0, 0, -2.25, 1.5}, a, EPS);
        assertTrue(a[3] > a[0] && a[3] > a[1], "the distinct good image gains over its duplicates");
        assertEquals(r[2] - 2.25, a[2], EPS, "negative advantages are unchanged");
    }

    @Test
    void theBatchStdAblationDividesByFlowGrpoDivisor() {
        // The same batch as above: rewards {3, 3, 0, 3}, mean 2.25, population std sqrt(27/16) =
        // 1.299038105676658; the shaped advantages {0, 0, -2.25, 1.5} divided by it + 1e-4.
        float[][] f = {{1, 0, 0}, {2, 0, 0}, {0, 1, 0}, {0, 0, 3}};
        double[] r = {3, 3, 0, 3};
        double divisor = Math.sqrt(27.0 / 16) + 1e-4;
        DiversityAwareAdvantage estimator = new DiversityAwareAdvantage(UNUSED, 5.0, true);
        assertTrue(estimator.batchStd());
        assertArrayEquals(new double[] {0, 0, -2.25 / divisor, 1.5 / divisor}, estimator.estimate(batch(r, f, 4)), EPS);
        assertFalse(new DiversityAwareAdvantage(UNUSED).batchStd(), "GARDO's own rule does not divide");
    }

    @Test
    void theMostIsolatedGoodImageGetsTheLargestMultiplier() {
        // Points on a circle; image 4 sits far from the others.
        double[] angles = {0.0, 0.1, 0.2, 0.3, 2.5};
        float[][] f = new float[5][];
        for (int i = 0; i < 5; i++) {
            f[i] = new float[] {(float) Math.cos(angles[i]), (float) Math.sin(angles[i])};
        }
        double[] r = {1, 2, 1, 2, 2};
        DiversityAwareAdvantage estimator = new DiversityAwareAdvantage(UNUSED);
        double[][] unit = new double[5][];
        for (int i = 0; i < 5; i++) {
            unit[i] = DiversityAwareAdvantage.normalise(f[i]);
        }
        double[] mult = estimator.multipliers(r, estimator.distances(unit));
        int best = 0;
        for (int i = 1; i < 5; i++) {
            best = mult[i] > mult[best] ? i : best;
        }
        assertEquals(4, best);
        assertTrue(mult[4] > 1 && mult[1] < 1 && mult[3] < 1, java.util.Arrays.toString(mult));
        assertEquals(1.0, mult[0], 0.0, "below the mean: 1");
    }

    @Test
    void matchesTheFormulaOnRandomGroups() {
        Random rng = new Random(5);
        int g = 6;
        int groups = 4;
        int dim = 7;
        float[][] f = new float[g * groups][dim];
        double[] r = new double[g * groups];
        for (int i = 0; i < f.length; i++) {
            for (int k = 0; k < dim; k++) {
                f[i][k] = (float) rng.nextGaussian();
            }
            r[i] = rng.nextGaussian() * 3;
        }
        f[7] = f[8].clone(); // a duplicate pair in group 1
        double[] a = new DiversityAwareAdvantage(UNUSED).estimate(batch(r, f, g));
        double[] expected = reference(r, f, g, 5.0);
        assertArrayEquals(expected, a, 1e-6);
        assertTrue(java.util.Arrays.stream(a).anyMatch(v -> Math.abs(v) == 5.0), "some advantage is clipped");
    }

    /** docs/ALGORITHMS.md 6.3 written out directly, in the most literal way. */
    private static double[] reference(double[] r, float[][] f, int g, double clip) {
        double[] out = new double[r.length];
        for (int s = 0; s < r.length; s += g) {
            double meanR = 0;
            for (int i = s; i < s + g; i++) {
                meanR += r[i] / g;
            }
            double[] d = new double[g];
            for (int i = 0; i < g; i++) {
                d[i] = Double.MAX_VALUE;
                for (int j = 0; j < g; j++) {
                    if (i != j) {
                        double dot = 0;
                        double ni = 0;
                        double nj = 0;
                        for (int k = 0; k < f[0].length; k++) {
                            dot += (double) f[s + i][k] * f[s + j][k];
                            ni += (double) f[s + i][k] * f[s + i][k];
                            nj += (double) f[s + j][k] * f[s + j][k];
                        }
                        d[i] = Math.min(d[i], 1 - Math.max(-1, Math.min(1, dot / Math.sqrt(ni) / Math.sqrt(nj))));
                    }
                }
            }
            double meanD = 0;
            for (double x : d) {
                meanD += x / g;
            }
            for (int i = 0; i < g; i++) {
                double m = r[s + i] >= meanR ? d[i] / meanD : 1;
                out[s + i] = Math.max(-clip, Math.min(clip, (r[s + i] - meanR) * m));
            }
        }
        return out;
    }

    @Test
    void guardsAndClipping() {
        DiversityAwareAdvantage estimator = new DiversityAwareAdvantage(UNUSED, 1.0);
        // All duplicates: mean distance 0, every multiplier 1, so the plain centred reward (clipped).
        float[][] same = {{1, 1}, {2, 2}, {3, 3}};
        assertArrayEquals(new double[] {-1.0, 0.0, 1.0}, estimator.estimate(batch(new double[] {0, 1, 2}, same, 3)), EPS);
        assertArrayEquals(new double[] {-1.0, 0.0, 1.0}, estimator.estimate(batch(new double[] {-4, 1, 6}, same, 3)), EPS);
        // A group of one has no neighbour and no signal.
        assertArrayEquals(new double[] {0.0, 0.0}, estimator.estimate(batch(new double[] {5, 7}, new float[][] {{1}, {2}}, 1)),
                EPS);
        // A zero embedding is at distance 1 from everything (the other two are duplicates).
        assertArrayEquals(new double[] {1, 0, 0}, estimator.distances(new double[][] {
            DiversityAwareAdvantage.normalise(new float[] {0, 0}), {1, 0}, {1, 0}}), EPS);
        // Without embeddings the estimator cannot work.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> estimator.estimate(batch(new double[] {0, 1}, null, 2)));
        assertTrue(e.getMessage().contains("embeddings"), e.getMessage());
        assertTrue(estimator.embedder().isPresent());
        assertThrows(IllegalArgumentException.class, () -> new DiversityAwareAdvantage(null));
        assertThrows(IllegalArgumentException.class, () -> new DiversityAwareAdvantage(UNUSED, 0));
    }
}
