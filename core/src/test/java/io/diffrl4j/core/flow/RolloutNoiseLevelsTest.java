package io.diffrl4j.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RolloutNoiseLevelsTest {
    /** sigma(i) of a 10-step shift-3 schedule, by hand: t = 1 - i (1 - t_min) / 9, sigma = 3t / (1 + 2t). */
    private static double[] referenceSigmas() {
        double tMin = 3 * 0.001 / (1 + 2 * 0.001);
        double[] s = new double[10];
        for (int i = 0; i < 10; i++) {
            double t = 1 + (tMin - 1) * i / 9;
            s[i] = 3 * t / (1 + 2 * t);
        }
        return s;
    }

    @Test
    void eachSampleTrainsNineOfTheRolloutsOwnTenLevelsAndAnyOneCanBeLeftOut() {
        double[] sigmas = referenceSigmas();
        RolloutNoiseLevels levels = new RolloutNoiseLevels(10, 3.0, 0.99);
        assertEquals(9, levels.levelsPerSample(), "int(10 * 0.99)");
        double[][] drawn = levels.draw(400, new SeededNoise(5));
        Set<Integer> leftOut = new HashSet<>();
        for (double[] row : drawn) {
            assertEquals(9, row.length);
            Set<Integer> seen = new HashSet<>();
            for (double s : row) {
                int match = -1;
                for (int i = 0; i < 10; i++) {
                    if (Math.abs(s - sigmas[i]) < 1e-12) {
                        match = i;
                    }
                }
                assertTrue(match >= 0, s + " is not one of the rollout's levels");
                assertTrue(seen.add(match), "no level twice in a row");
            }
            for (int i = 0; i < 10; i++) {
                if (!seen.contains(i)) {
                    leftOut.add(i);
                }
            }
        }
        assertEquals(10, leftOut.size(), "randperm(10)[:9] leaves out each level sometimes, pure noise included");
        assertEquals(1.0, sigmas[0], 0.0);
    }

    @Test
    void gardoTrainsAllTen() {
        RolloutNoiseLevels levels = new RolloutNoiseLevels(10, 3.0, 1.0);
        assertEquals(10, levels.levelsPerSample());
        double[] row = levels.draw(1, new SeededNoise(2))[0].clone();
        java.util.Arrays.sort(row);
        double[] sigmas = referenceSigmas();
        for (int i = 0; i < 10; i++) {
            assertEquals(sigmas[9 - i], row[i], 1e-12);
        }
    }
}
