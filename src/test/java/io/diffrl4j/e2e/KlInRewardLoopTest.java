package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import org.junit.jupiter.api.Test;

/** Flow-GRPO's KL-in-reward through the whole loop: recorded while sampling, trained on per step. */
class KlInRewardLoopTest {

    @Test
    void theSampleKlStartsAtZeroAndTheGroupsAreNotSkipped() {
        Method grpo = FlowGrpo.withKlReward(FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(6)
                .build(), 0).without(PolicyEma.STATE_KEY), 0.5);
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, grpo, ToyProblem.config().optLearningRate(2e-2).build()).build()) {
            EpochReport first = trainer.epoch();
            // LoRA's B factor starts at zero: the policy is the pretrained model, so every step's KL is 0.
            assertEquals(0.0, first.get("sample_kl"), 0);
            EpochReport second = trainer.epoch();
            assertTrue(second.get("sample_kl") > 0, "sample_kl " + second.get("sample_kl"));
            // The reference's mask is over per-step advantages, which the KL term makes non-zero.
            assertEquals(0.0, second.get("skipped_groups"), 0);
            assertEquals(32.0 * 5, second.get("terms_per_step"), 0); // 32 images x floor(6 * 0.99) = 5 recorded steps
            assertTrue(Double.isFinite(second.get("policy_loss")));
        }
    }
}
