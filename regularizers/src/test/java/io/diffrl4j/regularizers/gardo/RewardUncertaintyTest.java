package io.diffrl4j.regularizers.gardo;

import static io.diffrl4j.regularizers.gardo.RewardTables.AUX1;
import static io.diffrl4j.regularizers.gardo.RewardTables.AUX2;
import static io.diffrl4j.regularizers.gardo.RewardTables.PROXY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Win-rates, ranks, both signs and scopes, the top-k gate and the k controller on hand-made tables. */
class RewardUncertaintyTest {
    private static final double EPS = 1e-12;

    @Test
    void winRatesAndRanksOfASmallTable() {
        double[] r = {3, 1, 2, 2};
        assertArrayEquals(new double[] {1, 0, 1.0 / 3, 1.0 / 3}, RewardUncertainty.winRates(r, 0, 4), EPS);
        assertArrayEquals(new double[] {1, 4, 2, 3}, RewardUncertainty.descendingRanks(r, 0, 4), EPS);
        // A sub-range is its own scope.
        assertArrayEquals(new double[] {0, 1, 0.5}, RewardUncertainty.winRates(new double[] {9, 1, 5, 3}, 1, 4), EPS);
        assertArrayEquals(new double[] {3, 1, 2}, RewardUncertainty.descendingRanks(new double[] {9, 1, 5, 3}, 1, 4), EPS);
        assertArrayEquals(new double[] {0}, RewardUncertainty.winRates(new double[] {7}, 0, 1), EPS);
    }

    @Test
    void paperWinRateUncertaintyOverTheBatch() {
        // w_proxy = [1, .4, 0, .2, .8, .6]; w_aux1 = [0, .4, 1, .2, .6, .8]; w_aux2 = [.2, .6, .4, 0, 1, .8]
        double[] u = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 6, UncertaintyForm.WIN_RATE,
                UncertaintySign.PROXY_MINUS_AUXILIARY);
        assertArrayEquals(new double[] {0.9, -0.1, -0.7, 0.1, 0.0, -0.2}, u, EPS);
        double[] flipped = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 6, UncertaintyForm.WIN_RATE,
                UncertaintySign.AUXILIARY_MINUS_PROXY);
        assertArrayEquals(new double[] {-0.9, 0.1, 0.7, -0.1, 0.0, 0.2}, flipped, EPS);
    }

    @Test
    void officialCodeRankUncertaintyOverTheBatch() {
        // rank_proxy = [1,4,6,5,2,3]; rank_aux1 = [6,4,1,5,3,2]; rank_aux2 = [5,3,4,6,1,2]
        double[] u = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 6, UncertaintyForm.RANK,
                UncertaintySign.PROXY_MINUS_AUXILIARY);
        assertArrayEquals(new double[] {-4.5, 0.5, 3.5, -0.5, 0.0, 1.0}, u, EPS);
        // Without ties rank = n - (n - 1) w, so the code's sign is the paper's times -(n - 1).
        double[] paper = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 6, UncertaintyForm.WIN_RATE,
                UncertaintySign.PROXY_MINUS_AUXILIARY);
        double[] ranksPaperSign = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 6, UncertaintyForm.RANK,
                UncertaintySign.AUXILIARY_MINUS_PROXY);
        for (int i = 0; i < 6; i++) {
            assertEquals(5 * paper[i], ranksPaperSign[i], EPS, "image " + i);
        }
    }

    @Test
    void perGroupScope() {
        double[] win = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 3, UncertaintyForm.WIN_RATE,
                UncertaintySign.PROXY_MINUS_AUXILIARY);
        assertArrayEquals(new double[] {1.0, -0.25, -0.75, 0.0, 0.25, -0.25}, win, EPS);
        double[] rank = RewardUncertainty.uncertainty(PROXY, List.of(AUX1, AUX2), 3, UncertaintyForm.RANK,
                UncertaintySign.PROXY_MINUS_AUXILIARY);
        assertArrayEquals(new double[] {-2.0, 0.5, 1.5, 0.0, -0.5, 0.5}, rank, EPS);
    }

    @Test
    void fromARewardBatchWithSubsetsAndScopes() {
        RewardBatch batch = RewardTables.batch();
        assertArrayEquals(new double[] {0.9, -0.1, -0.7, 0.1, 0.0, -0.2},
                RewardUncertainty.paper().uncertainty(batch), EPS);
        assertArrayEquals(new double[] {-4.5, 0.5, 3.5, -0.5, 0.0, 1.0},
                RewardUncertainty.officialCode().uncertainty(batch), EPS);
        assertArrayEquals(new double[] {-2.0, 0.5, 1.5, 0.0, -0.5, 0.5},
                new RewardUncertainty(UncertaintyForm.RANK, UncertaintySign.PROXY_MINUS_AUXILIARY, UncertaintyScope.GROUP,
                        List.of()).uncertainty(batch), EPS);
        // Only aux1: w_proxy - w_aux1.
        assertArrayEquals(new double[] {1.0, 0.0, -1.0, 0.0, 0.2, -0.2},
                RewardUncertainty.paper().withAuxiliaries(List.of("aux1")).uncertainty(batch), EPS);

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> RewardUncertainty.paper().withAuxiliaries(List.of("aesthetic")).uncertainty(batch));
        assertTrue(unknown.getMessage().contains("aesthetic"), unknown.getMessage());
        Map<String, double[]> proxyOnly = new LinkedHashMap<>();
        proxyOnly.put("proxy", PROXY);
        RewardBatch lonely = new RewardBatch("proxy", proxyOnly, null, RewardTables.prompts(2, 3), 3);
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> RewardUncertainty.paper().uncertainty(lonely));
        assertTrue(none.getMessage().contains("addAuxiliaryReward"), none.getMessage());
    }

    @Test
    void percentileIsNumpysLinearInterpolation() {
        assertEquals(3.7, RewardUncertainty.percentile(new double[] {4, 1, 3, 2}, 90), EPS);
        assertEquals(2.5, RewardUncertainty.percentile(new double[] {4, 1, 3, 2}, 50), EPS);
        assertEquals(1.0, RewardUncertainty.percentile(new double[] {4, 1, 3, 2}, 0), EPS);
        assertEquals(4.0, RewardUncertainty.percentile(new double[] {4, 1, 3, 2}, 100), EPS);
        assertEquals(7.0, RewardUncertainty.percentile(new double[] {7}, 90), EPS);
    }

    @Test
    void theGatePicksTheTopFractionOfTheNonNegativeUncertainties() {
        double[] u = {0.9, -0.1, -0.7, 0.1, 0.0, -0.2};
        // Non-negative: {0, .1, .9}. 90th percentile: .1 + .8 * .8 = .74 -> only image 0.
        assertEquals(0.74, RewardUncertainty.threshold(u, 0.1), EPS);
        assertArrayEquals(new boolean[] {true, false, false, false, false, false}, RewardUncertainty.gate(u, 0.1));
        // 50th percentile is .1 itself; the comparison is strict, so image 3 stays out.
        assertArrayEquals(new boolean[] {true, false, false, false, false, false}, RewardUncertainty.gate(u, 0.5));
        // 40th percentile: .08 -> images 0 and 3.
        assertArrayEquals(new boolean[] {true, false, false, true, false, false}, RewardUncertainty.gate(u, 0.6));

        // 20 non-negative values 0..19 in scrambled order among negatives: k = 0.1 gates 18 and 19,
        // k = 0.2 gates 16..19.
        double[] many = new double[30];
        for (int i = 0; i < 30; i++) {
            many[i] = i < 20 ? (i * 7) % 20 : -1 - i;
        }
        boolean[] top10 = RewardUncertainty.gate(many, 0.1);
        boolean[] top20 = RewardUncertainty.gate(many, 0.2);
        for (int i = 0; i < 30; i++) {
            assertEquals(many[i] >= 18, top10[i], "k=0.1, image " + i + " (U=" + many[i] + ")");
            assertEquals(many[i] >= 16, top20[i], "k=0.2, image " + i + " (U=" + many[i] + ")");
        }

        // Inclusive option: image 3 sits at the 50th percentile and is gated too.
        assertArrayEquals(new boolean[] {true, false, false, true, false, false}, RewardUncertainty.gate(u, 0.5, true));
        assertArrayEquals(new boolean[] {true, true, false}, RewardUncertainty.gate(new double[] {0.3, 0.3, -1}, 0.2, true));
        assertArrayEquals(new boolean[] {false, true}, RewardUncertainty.gate(new double[] {-1, 0.4}, 0.1, true));
        assertArrayEquals(new boolean[] {false, false}, RewardUncertainty.gate(new double[] {-1, 0.4}, 0.1, false));

        // Ties at the threshold are not gated; nothing is gated without non-negative uncertainties.
        assertArrayEquals(new boolean[] {false, false, false}, RewardUncertainty.gate(new double[] {0.3, 0.3, -1}, 0.2));
        assertArrayEquals(new boolean[] {false, false}, RewardUncertainty.gate(new double[] {-0.3, -1}, 0.2));
        assertTrue(Double.isNaN(RewardUncertainty.threshold(new double[] {-0.3, -1}, 0.2)));
    }

    @Test
    void theControllerMovesKAsSpecifiedWithinItsBounds() {
        GateController c = new GateController();
        assertEquals(0.1, c.k(), EPS);
        assertEquals(0.1, c.update(1.0), EPS, "first epoch: k0");
        assertEquals(0.11, c.update(2.0), EPS, "above the max: x1.1");
        assertEquals(0.121, c.update(3.0), EPS);
        assertEquals(0.1089, c.update(0.5), EPS, "below the min: x0.9");
        assertEquals(0.1089, c.update(1.5), EPS, "inside the range: unchanged");
        assertEquals(List.of(1.0, 2.0, 3.0, 0.5, 1.5), c.history());

        GateController up = new GateController();
        for (int e = 0; e < 30; e++) {
            up.update(e);
        }
        assertEquals(0.2, up.k(), EPS, "capped at 0.2");
        assertEquals(20, up.history().size(), "window 20");
        GateController down = new GateController();
        for (int e = 0; e < 40; e++) {
            down.update(-e);
        }
        assertEquals(0.02, down.k(), EPS, "floored at 0.02");

        // A short window forgets: with [2, 3, 4] remembered, 1.5 is below the minimum.
        GateController shortMemory = new GateController(0.1, 0.02, 0.2, 1.1, 0.9, 3);
        for (double m : new double[] {1, 2, 3, 4}) {
            shortMemory.update(m);
        }
        assertEquals(List.of(2.0, 3.0, 4.0), shortMemory.history());
        double before = shortMemory.k();
        assertEquals(before * 0.9, shortMemory.update(1.5), EPS);
    }

    @Test
    void controllerStateRoundTrips() {
        GateController a = new GateController();
        for (double m : new double[] {0.3, 0.5, 0.2, 0.6}) {
            a.update(m);
        }
        GateController b = new GateController();
        b.restore(a.state());
        assertEquals(a.k(), b.k(), 0.0);
        assertEquals(a.history(), b.history());
        for (double m : new double[] {0.7, 0.1, 0.4}) {
            assertEquals(a.update(m), b.update(m), 0.0);
        }
        b.restore(Map.of());
        assertEquals(0.1, b.k(), 0.0);
        assertTrue(b.history().isEmpty());
    }

    @Test
    void theGatedKlGatesFromTheTableAndReportsK() {
        GatedKl paper = GatedKl.builder().gating(new io.diffrl4j.core.objective.ReferenceKl("reference", null,
                io.diffrl4j.core.objective.KlForm.CODE, io.diffrl4j.core.objective.KlStrength.constant(0.07)));
        paper.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        assertEquals(0.1, paper.k(), EPS);
        assertArrayEquals(new boolean[] {true, false, false, false, false, false}, paper.currentGate());
        assertArrayEquals(new double[] {0.9, -0.1, -0.7, 0.1, 0.0, -0.2}, paper.currentUncertainty(), EPS);

        // Official code: U = [-4.5, .5, 3.5, -.5, 0, 1]; non-negative {0, .5, 1, 3.5}; 90th pct 2.75.
        GatedKl code = GatedKl.officialCode().gating(new io.diffrl4j.core.objective.ReferenceKl("reference", null,
                io.diffrl4j.core.objective.KlForm.CODE, io.diffrl4j.core.objective.KlStrength.constant(0.07)));
        code.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        assertEquals(2.75, code.currentThreshold(), EPS);
        assertArrayEquals(new boolean[] {false, false, true, false, false, false}, code.currentGate());

        // Second epoch: U = [5, 3, 1, -1, -3, -5]; its non-negative mean (3) exceeds the first
        // epoch's (1.25), so k grows by 10 %; state() carries it to a fresh gate.
        code.onEpochScored(RewardTables.of(new double[] {1, 2, 3, 4, 5, 6}, new double[] {6, 5, 4, 3, 2, 1}, 3),
                new TrainingProgress(1, 2));
        assertEquals(0.11, code.k(), EPS);
        GatedKl resumed = GatedKl.officialCode().gating(new io.diffrl4j.core.objective.ReferenceKl("reference", null,
                io.diffrl4j.core.objective.KlForm.CODE, io.diffrl4j.core.objective.KlStrength.constant(0.07)));
        resumed.restore(code.state());
        assertEquals(code.k(), resumed.k(), 0.0);
        assertEquals(code.controller().history(), resumed.controller().history());
    }

    @Test
    void badSettingsNameTheirField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GateController(0.1, 0.3, 0.2, 1.1, 0.9, 20))
                .getMessage().contains("kRange"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GateController(0.5, 0.02, 0.2, 1.1, 0.9, 20))
                .getMessage().contains("initialK"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatedKl.builder().optFactors(0.9, 0.9)
                .gating(FLOW_GRPO_KL)).getMessage().contains("increase"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatedKl.builder().optWindow(0).gating(FLOW_GRPO_KL))
                .getMessage().contains("window"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> GatedKl.builder().optAuxiliaries(List.of("a", "a"))).getMessage().contains("auxiliaries"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new RewardUncertainty(null, UncertaintySign.PROXY_MINUS_AUXILIARY, UncertaintyScope.BATCH, List.of()))
                .getMessage().contains("form"));
    }

    private static final io.diffrl4j.core.objective.ReferenceKl FLOW_GRPO_KL = new io.diffrl4j.core.objective.ReferenceKl(
            null, null, io.diffrl4j.core.objective.KlForm.CODE, io.diffrl4j.core.objective.KlStrength.constant(0.04));
}
