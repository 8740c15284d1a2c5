package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.CenteringScope;
import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.CrdObjective;
import io.diffrl4j.methods.crd.ImplicitRewardForm;
import io.diffrl4j.regularizers.crd.KlStrengthMode;
import io.diffrl4j.methods.crd.MatchingLoss;
import io.diffrl4j.methods.crd.SamplerMode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CRD end to end through public API on the 2-D toy of {@link BaselinesLearnTest}: the pretrained flow
 * generates N(0, I), the reward is minus the distance to (1.5, -0.5). Progress is measured on a fixed
 * evaluation set (512 ODE samples of the policy from fixed noise).
 */
class CrdLearnTest {
    private static final int EPOCHS = 5;

    private static ToyProblem.Curve run(Method method, TrainerConfig config) throws Exception {
        return ToyProblem.learn(method, config, EPOCHS);
    }

    private static TrainerConfig config() {
        return TrainerConfig.builder().optPromptsPerEpoch(8).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optGroupsPerMicroBatch(4).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(3).build();
    }

    /**
     * @return the objective against "old" with the paper's beta and these settings, on the port's
     *     stratified levels of the toy's 10-step shift-1 rollouts
     */
    private static CrdObjective objective(ImplicitRewardForm form, CenteringScope scope, MatchingLoss loss) {
        return new CrdObjective(CrdObjective.DEFAULT_BETA, form, scope, loss, new StratifiedRolloutNoiseLevels(
                StratifiedRolloutNoiseLevels.PORT_PASSES, 10, 1.0, StratifiedRolloutNoiseLevels.PORT_RANGE), AdapterRoles.OLD);
    }

    /** @return {@code crd} with only the rollout schedule set for a 2-D toy (10 steps, shift 1), and its training levels */
    private static Method toy(Method crd) {
        return crd.withSampler(Crd.sampler().optShift(1.0).optSteps(10).build())
                .withObjective(objective(ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE));
    }

    @Test
    void crdRaisesTheRewardWithTheAnchoredKl() throws Exception {
        // The paper's method; only the rollout schedule is set for a 2-D toy (shift 1).
        Method crd = toy(Crd.method());
        assertEquals(AdapterRoles.SAMPLER, crd.samplingSet());
        ToyProblem.Curve run = run(crd, config());
        System.out.println("CRD evaluation curve " + Arrays.toString(run.rewards()) + ", KL per epoch "
                + Arrays.toString(run.metric("kl")));
        ToyProblem.assertRises("CRD", run.rewards(), 0.2); // measured: -1.871 -> -1.462
        for (EpochReport report : run.reports()) {
            for (String metric : new String[] {"policy_loss", "implicit_reward", "implicit_reward_std", "reward_centred_std",
                    "kl"}) {
                assertTrue(Double.isFinite(report.get(metric)), metric + " in epoch " + report);
            }
        }
        // Every snapshot starts as the policy: the implicit reward is zero in the very first pass only,
        // then the policy moves away from the moving reference.
        assertTrue(run.reports().get(EPOCHS - 1).get("implicit_reward_std") > 0);
        // measured KL per epoch: 2.2e-5, 4.6e-4, 4.8e-3, 3.1e-2, 7.8e-2
        assertTrue(run.reports().get(0).get("kl") < 1e-3, "initial KL " + run.reports().get(0).get("kl"));
        assertTrue(run.reports().get(EPOCHS - 1).get("kl") > run.reports().get(0).get("kl"), "KL grows as the policy moves");
    }

    @Test
    void everyAlternativeStillLearnsWhenSwitchedAlone() throws Exception {
        Method crd = toy(Crd.method());
        Map<String, Method> variants = new LinkedHashMap<>();
        variants.put("BCE loss", crd.withObjective(objective(ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.BCE)));
        variants.put("micro-batch centring",
                crd.withObjective(objective(ImplicitRewardForm.ADAPTIVE, CenteringScope.MICRO_BATCH, MatchingLoss.MSE)));
        variants.put("plain implicit reward",
                crd.withObjective(objective(ImplicitRewardForm.PLAIN, CenteringScope.PROMPT, MatchingLoss.MSE)));
        variants.put("per-batch KL strength", crd.withRegularizer(
                new CfgAnchoredKl(CfgAnchoredKl.DEFAULT_GUIDANCE, KlStrengthMode.PER_BATCH.create(Crd.BETA, Crd.BETA_FLOOR))));
        variants.put("KL off", crd.without("regularizer:kl"));
        variants.put("on-policy sampler", toy(Crd.method(SamplerMode.ON_POLICY)));
        for (Map.Entry<String, Method> v : variants.entrySet()) {
            double[] r = run(v.getValue(), config()).rewards();
            System.out.printf("CRD variant %s: gain %.3f%n", v.getKey(), r[EPOCHS] - r[0]);
            // measured gains: 0.36 (BCE), 0.38 (micro-batch), 0.27 (plain), 0.42 (per-batch), 0.42 (KL off), 0.41 (on-policy)
            assertTrue(r[EPOCHS] - r[0] > 0.15, v.getKey() + ": gain " + (r[EPOCHS] - r[0]) + " " + Arrays.toString(r));
        }
    }
}
