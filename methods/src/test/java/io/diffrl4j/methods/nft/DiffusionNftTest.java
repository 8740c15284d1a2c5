package io.diffrl4j.methods.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.testing.GaussianVelocityField;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiffusionNftTest {
    /** policy - reference = 2 everywhere; klScale 1 (CODE) or 10 (PAPER). */
    private static final class StubPrediction implements Prediction {
        final NDManager m;
        final List<Object[]> calls = new ArrayList<>();

        StubPrediction(NDManager m) {
            this.m = m;
        }

        @Override
        public NDArray policy() {
            return m.ones(new Shape(2, 3)).mul(2f);
        }

        @Override
        public NDArray under(String adapterSet, double w) {
            calls.add(new Object[] {adapterSet, w});
            return m.zeros(new Shape(2, 3));
        }

        @Override
        public double guidance() {
            return 7.0;
        }

        @Override
        public NDArray klScale(KlForm form) {
            return m.create(form == KlForm.CODE ? 1f : 10f);
        }
    }

    @Test
    void recipeDefaultsAreThePapers() {
        Method method = DiffusionNft.method();
        DiffusionNftObjective objective = (DiffusionNftObjective) method.objective();
        assertEquals(1.0, objective.beta());
        ReferenceKl kl = (ReferenceKl) method.regularizers().get(0);
        assertEquals(new KlStrength.Constant(1e-4), kl.strength());
        assertEquals(1.0, kl.guidance(), "velocity MSE to the pretrained model at guidance 1");
        assertEquals(null, kl.reference());
        EmaSchedule old = (EmaSchedule) method.schedules().get(0);
        assertEquals(AdapterRoles.OLD, old.target());
        assertEquals(EmaDecay.diffusionNftOld(), old.decay());
        // The reference's randperm of the rollout's own 10 levels, first int(10 * 0.99) = 9.
        io.diffrl4j.core.flow.RolloutNoiseLevels levels = assertInstanceOf(io.diffrl4j.core.flow.RolloutNoiseLevels.class,
                objective.noiseLevels());
        assertEquals(9, levels.levelsPerSample());
        assertEquals(1.0, levels.levels()[0]);
    }

    @Test
    void defaultsComposeTheDiffusionNftMethod() {
        Method method = DiffusionNft.method();
        assertEquals("diffusion-nft", method.name());
        assertEquals(AdapterRoles.OLD, method.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.EMA), method.snapshots(), "train.ema = True");
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, method.sampler());
        assertEquals(1.0, sampler.guidanceScale());
        // The reference samples with solver="dpm2": second-order multistep DPM-Solver++.
        io.diffrl4j.samplers.DpmSolverStep solver = assertInstanceOf(io.diffrl4j.samplers.DpmSolverStep.class,
                sampler.odeStep());
        assertEquals(2, solver.order());
        assertEquals(io.diffrl4j.samplers.DpmSolverForm.DATA, solver.form());
        assertInstanceOf(io.diffrl4j.samplers.EulerStep.class, ((TrajectorySampler) DiffusionNft.method().withSampler(
                DiffusionNft.sampler().optOdeStep(new io.diffrl4j.samplers.EulerStep()).build()).sampler()).odeStep());
        assertEquals(10, sampler.schedule().steps());
        assertEquals(3.0, sampler.schedule().shift());
        DiffusionNftObjective objective = assertInstanceOf(DiffusionNftObjective.class, method.objective());
        assertEquals(1.0, objective.beta());
        assertEquals(AdapterRoles.OLD, objective.oldSet());
        assertEquals(9, objective.noiseLevels().levelsPerSample());
        assertInstanceOf(GroupRelativeAdvantage.class, method.advantages());
        double[] r = {0, 1, 0, 10};
        RewardBatch rewards = new RewardBatch("r", Map.of("r", r), null,
                new ArrayList<>(Collections.nCopies(4, Prompt.of("p"))), 2);
        double[] a = method.advantages().estimate(rewards);
        double[] global = new GroupRelativeAdvantage(true, 5).estimate(rewards);
        for (int i = 0; i < 4; i++) {
            assertEquals(global[i], a[i], 0.0);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            // An ODE rollout: nothing recorded.
            Rollout rollout = sampler.sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(1), null, 2,
                    new Shape(3), new SeededNoise(1));
            assertTrue(rollout.steps().isEmpty());
            assertEquals(1, method.regularizers().size());
            ReferenceKl kl = assertInstanceOf(ReferenceKl.class, method.regularizers().get(0));
            StubPrediction p = new StubPrediction(m);
            MicroBatch stub = new MicroBatch(m, new MicroBatch.Place(new int[] {0, 1}, 2),
                new MicroBatch.Drawn(null, List.of(), null, null, null),
                new MicroBatch.Scored(null, null), new MicroBatch.Update(null, null));
            assertEquals(1e-4f * 4, kl.loss(stub, p, new StepMetrics()).getFloat(), 1e-10f, "1e-4 * MSE, CODE form");
            assertEquals(null, p.calls.get(0)[0], "pretrained reference");
            assertEquals(1.0, p.calls.get(0)[1], "reference at guidance 1");
        }
    }

    @Test
    void theOldSetIsAnEmaOfThePolicy() {
        Method method = DiffusionNft.method();
        assertEquals(2, method.schedules().size(), "the old set's EMA and the evaluation EMA");
        EmaSchedule ema = assertInstanceOf(EmaSchedule.class, method.schedules().get(0));
        assertEquals(AdapterRoles.OLD, ema.target());
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 2, 0.5, 0.8, 2, 7)) {
            Adapters adapters = model.adapters();
            AdapterSet policy = adapters.create(AdapterRoles.POLICY, true, new SeededNoise(1));
            AdapterSet old = adapters.copyOf(AdapterRoles.OLD, policy, false);
            SeededNoise rng = new SeededNoise(2);
            for (NDArray p : policy.parameters()) {
                p.addi(rng.normal(m, p.getShape()));
            }
            float[] before = old.parameters().get(1).toFloatArray();
            float[] theta = policy.parameters().get(1).toFloatArray();
            // d = min(0.001 * 100, 0.5) = 0.1
            ema.afterEpoch(adapters, new TrainingProgress(3, 100), Map.of());
            float[] after = old.parameters().get(1).toFloatArray();
            for (int i = 0; i < after.length; i++) {
                assertEquals(0.1 * before[i] + 0.9 * theta[i], after[i], 1e-6);
            }
        }
    }

    @Test
    void settingsReachTheComponents() {
        DiscreteNoiseLevels levels = new DiscreteNoiseLevels(8, 1.0, 0.5);
        Method method = DiffusionNft.method()
                .withSampler(DiffusionNft.sampler().optGuidanceScale(2.0).optSteps(5).optShift(1.0).build())
                .withObjective(new DiffusionNftObjective(0.1, levels, AdapterRoles.OLD))
                .withSchedule(DiffusionNft.oldEma(new EmaDecay(0, 0.3, 0, 0.3)))
                .without("regularizer:kl");
        assertTrue(method.regularizers().isEmpty(), "the KL is dropped");
        assertEquals(2, method.schedules().size(), "the old EMA replaced by key, the evaluation EMA kept");
        assertEquals(new EmaDecay(0, 0.3, 0, 0.3), ((EmaSchedule) method.schedules().get(0)).decay());
        TrajectorySampler sampler = (TrajectorySampler) method.sampler();
        assertEquals(2.0, sampler.guidanceScale());
        assertEquals(5, sampler.schedule().steps());
        assertEquals(1.0, sampler.schedule().shift());
        DiffusionNftObjective objective = (DiffusionNftObjective) method.objective();
        assertEquals(0.1, objective.beta());
        assertSame(levels, objective.noiseLevels());
        assertEquals(new KlStrength.Constant(2e-4), ((ReferenceKl) DiffusionNft.method().withKlBeta(2e-4).regularizers()
                .get(0)).strength());
    }

    @Test
    void badSettingsAreRefusedByTheStrategyThatOwnsThem() {
        assertBad("betaNft", () -> new DiffusionNftObjective(0, DiffusionNft.noiseLevels(0.99), AdapterRoles.OLD));
        assertBad("betaNft", () -> new DiffusionNftObjective(Double.NaN, DiffusionNft.noiseLevels(0.99), AdapterRoles.OLD));
        assertBad("KL beta", () -> DiffusionNft.kl(-1e-4));
        assertBad("guidanceScale", () -> DiffusionNft.sampler().optGuidanceScale(-1).build());
        assertBad("steps", () -> DiffusionNft.sampler().optSteps(0).build());
        assertBad("shift", () -> DiffusionNft.sampler().optShift(0).build());
        assertBad("fraction", () -> DiffusionNft.noiseLevels(0));
        assertBad("odeStep", () -> DiffusionNft.sampler().optOdeStep(new io.diffrl4j.samplers.FlowGrpoSdeStep()).build());
        assertBad("method diffusion-nft has no schedule", () -> DiffusionNft.method().without("ema:sampler"));
    }

    private static void assertBad(String field, org.junit.jupiter.api.function.Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().startsWith(field + " "), "message should name " + field + ": " + e.getMessage());
    }

    @Test
    void trainsOnTheRolloutsOwnLevelsAsTheReferenceRandperm() {
        // train_nft_sd3.py: randperm of the rollout's 10 timesteps per sample, first int(10 * 0.99) = 9;
        // GARDO's NFT config: timestep_fraction 1.0, all 10.
        DiffusionNftObjective nft = (DiffusionNftObjective) DiffusionNft.method().objective();
        org.junit.jupiter.api.Assertions.assertInstanceOf(io.diffrl4j.core.flow.RolloutNoiseLevels.class, nft.noiseLevels());
        org.junit.jupiter.api.Assertions.assertEquals(9, nft.noiseLevels().levelsPerSample());
        double[] levels = ((io.diffrl4j.core.flow.RolloutNoiseLevels) nft.noiseLevels()).levels();
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                io.diffrl4j.core.flow.InferenceSchedule.of(10, 3.0).sigmas(), java.util.Arrays.copyOf(levels, 11), 0.0,
                "the rollout's 10 levels (then the final 0 of the schedule, padded)");
        DiffusionNftObjective gardo = (DiffusionNftObjective) io.diffrl4j.methods.gardo.Gardo.diffusionNftBase().objective();
        org.junit.jupiter.api.Assertions.assertEquals(10, gardo.noiseLevels().levelsPerSample());
    }

    @Test
    void advantageModesAreTheReferences() {
        // By hand from train_nft_sd3.py on clipped advantages {2, -3, 0, 5}:
        // positive_only clamp(0, 5); negative_only clamp(-5, 0); one_only A > 0; binary sign.
        float[] a = {2f, -3f, 0f, 5f};
        float[][] expected = {{2f, -3f, 0f, 5f}, {2f, 0f, 0f, 5f}, {0f, -3f, 0f, 0f}, {1f, 0f, 0f, 1f}, {1f, -1f, 0f, 1f}};
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            for (AdvantageMode mode : AdvantageMode.values()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(expected[mode.ordinal()],
                        mode.apply(m.create(a)).toFloatArray(), 0f, mode.name());
            }
        }
        assertEquals(AdvantageMode.ALL, ((DiffusionNftObjective) DiffusionNft.method().objective()).advantageMode());
    }
}
