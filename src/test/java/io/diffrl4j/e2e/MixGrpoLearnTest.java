package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.mixgrpo.MixGrpo;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.SlidingSdeWindow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MixGRPO end to end on the 2-D toy (pretrained flow N(0, I), reward minus the distance to
 * (1.5, -0.5), evaluation on 512 fixed ODE samples): the trainer asks the method's sampler for each
 * epoch's sampler, the SDE window slides with it, and the reward rises.
 */
class MixGrpoLearnTest {
    private static final int EPOCHS = 5;

    /** Delegates, and remembers which epochs the trainer asked for. */
    private record Recording(Sampler inner, List<Integer> epochs) implements Sampler {
        @Override
        public Sampler atEpoch(int epoch) {
            epochs.add(epoch);
            return inner.atEpoch(epoch);
        }

        @Override
        public Rollout sample(NDManager out, FlowModel model, Conditioning prompts, Conditioning uncond, int groupSize,
                Shape sampleShape, SeededNoise rng) {
            throw new AssertionError("the trainer samples with the epoch's sampler");
        }

        @Override
        public double guidanceScale() {
            return inner.guidanceScale();
        }

        @Override
        public SamplerStep stochasticStep() {
            return inner.stochasticStep();
        }

        @Override
        public InferenceSchedule schedule() {
            return inner.schedule();
        }
    }

    @Test
    void theWindowSlidesWithTheEpochAndTheRewardRises() throws Exception {
        // The toy's 10 steps at shift 1; a window of 3 moving by 1 every epoch (MixGRPO's moves every 25).
        Sampler sliding = FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10)
                .optWindow(SdeWindow.sliding(SlidingSdeWindow.progressive(3, 1, 1, true)).withSharedPrefix()).build();
        List<Integer> asked = new ArrayList<>();
        Method mix = MixGrpo.method().withSampler(new Recording(sliding, asked));
        TrainerConfig config = ToyProblem.learningConfig();
        ToyProblem.Curve curve = ToyProblem.learn(mix, config, EPOCHS);
        System.out.println("MixGRPO toy curve: " + java.util.Arrays.toString(curve.rewards()));
        ToyProblem.assertRises("MixGRPO", curve.rewards(), 0.1); // measured: -1.871 -> -1.432
        // Per epoch: once for its sampling batches, once for the update's micro-batches.
        List<Integer> expected = new ArrayList<>();
        for (int e = 0; e < EPOCHS; e++) {
            for (int i = 0; i < 2; i++) {
                expected.add(e);
            }
        }
        assertEquals(expected, asked);
    }
}
