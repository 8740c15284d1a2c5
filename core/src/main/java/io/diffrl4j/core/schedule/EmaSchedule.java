package io.diffrl4j.core.schedule;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.objective.TrainingProgress;
import java.util.Map;

/**
 * After every epoch, {@code target <- d * target + (1 - d) * policy} with {@code d =
 * decay.at(globalStep)}: DiffusionNFT's "old" model, CRD's moving reference and sampler. The target
 * set must exist (the method creates it as a copy of the policy).
 */
public final class EmaSchedule implements AdapterSchedule {
    private final String target;
    private final EmaDecay decay;

    /**
     * @param target the snapshot set to update
     * @param decay the decay schedule
     */
    public EmaSchedule(String target, EmaDecay decay) {
        if (target == null || target.isBlank() || decay == null) {
            throw new IllegalArgumentException("an EMA schedule needs a target set and a decay, got " + target + ", " + decay);
        }
        this.target = target;
        this.decay = decay;
    }

    /** @return the decay schedule */
    public EmaDecay decay() {
        return decay;
    }

    /** @return the snapshot set this schedule updates */
    public String target() {
        return target;
    }

    @Override
    public void afterEpoch(Adapters adapters, TrainingProgress progress, Map<String, Double> metrics) {
        adapters.get(target).blend(adapters.get(AdapterRoles.POLICY), decay.at(progress.globalStep()));
    }

    /** @return the state's checkpoint key, naming the set this schedule writes */
    @Override
    public String stateKey() {
        return "ema:" + target;
    }

    @Override
    public java.util.List<String> adapterSets() {
        return java.util.List.of(target);
    }
}
