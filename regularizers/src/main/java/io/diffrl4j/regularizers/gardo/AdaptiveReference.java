package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.schedule.AdapterSchedule;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GARDO's adaptive reference (docs/ALGORITHMS.md 6.2): the KL reference is a snapshot of the policy that
 * is renewed by a hard copy ({@code reference <- policy}) when the policy has moved far enough from
 * it, so that the regularizer always points at a relevant target.
 *
 * <ul>
 *   <li>{@link #afterStep}: when an optimizer step's {@link AdaptiveReferenceConfig#metric()}
 *       (default "kl") exceeds the threshold, a renewal is due.</li>
 *   <li>{@link #beforeUpdate}: the reference is renewed when a renewal is due (never at epoch 0),
 *       or when more than {@link AdaptiveReferenceConfig#maxEpochs()} epochs passed since the last
 *       renewal (the initial copy counts as a renewal at epoch 0). With an adaptive threshold
 *       (DiffusionNFT), a renewal after more than {@code maxEpochs} epochs lowers it by
 *       {@code thresholdDecrease} (to no less than the floor) and one within fewer than
 *       {@code shortGap} epochs raises it by {@code thresholdIncrease} (to no more than the ceiling).</li>
 * </ul>
 *
 * Renewals are logged at INFO with their reason. The target set must exist (the method lists it
 * among its adapter sets, so the method derives it as a snapshot and the trainer creates it as a
 * copy of the initial policy).
 *
 * <p>Mutable (threshold, last renewal, pending flag), training thread only; {@link #state()} and
 * {@link #restore} make a resumed run continue exactly. Subclass to change when or how the
 * reference is renewed ({@link #renewalReason}, {@link #renew}, {@link #adaptThreshold}).
 */
public class AdaptiveReference implements AdapterSchedule {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveReference.class);

    private final AdaptiveReferenceConfig config;
    private double threshold;
    private int lastRenewal;
    private boolean pending;
    private int renewals;
    private boolean warnedMissingMetric;

    /** @param config when to renew and what to copy */
    public AdaptiveReference(AdaptiveReferenceConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
        this.threshold = config.klThreshold();
    }

    /** @return the settings */
    public AdaptiveReferenceConfig config() {
        return config;
    }

    /** @return the current KL threshold */
    public double threshold() {
        return threshold;
    }

    /** @return the epoch of the last renewal (0: the initial copy) */
    public int lastRenewal() {
        return lastRenewal;
    }

    /** @return whether a step since the last renewal exceeded the threshold */
    public boolean renewalDue() {
        return pending;
    }

    /** @return how many renewals happened (the initial copy not counted) */
    public int renewals() {
        return renewals;
    }

    @Override
    public void beforeUpdate(Adapters adapters, TrainingProgress progress) {
        int epoch = progress.epoch();
        int gap = epoch - lastRenewal;
        String reason = renewalReason(epoch, gap, pending);
        if (reason == null) {
            return;
        }
        renew(adapters);
        double before = threshold;
        adaptThreshold(gap);
        lastRenewal = epoch;
        pending = false;
        renewals++;
        if (threshold != before) {
            LOG.info("GARDO reference renewed at epoch {} (step {}): {}; {} epochs since the last renewal; threshold {} -> {}",
                    epoch, progress.globalStep(), reason, gap, before, threshold);
        } else {
            LOG.info("GARDO reference renewed at epoch {} (step {}): {}; {} epochs since the last renewal",
                    epoch, progress.globalStep(), reason, gap);
        }
    }

    @Override
    public void afterStep(Adapters adapters, TrainingProgress progress, Map<String, Double> stepMetrics) {
        Double value = stepMetrics.get(config.metric());
        if (value == null) {
            if (!warnedMissingMetric) {
                LOG.warn("GARDO adaptive reference: the optimizer steps report no '{}' metric (have {}); only the {}-epoch "
                        + "limit will renew the reference", config.metric(), stepMetrics.keySet(), config.maxEpochs());
                warnedMissingMetric = true;
            }
            return;
        }
        if (value > threshold && !pending) {
            pending = true;
            LOG.debug("GARDO adaptive reference: step {} logged {} = {} > {}; renewal due", progress.globalStep(),
                    config.metric(), value, threshold);
        }
    }

    /**
     * @param epoch the epoch about to train
     * @param epochsSinceRenewal epochs since the last renewal
     * @param klExceeded whether a step since the last renewal exceeded the threshold
     * @return why the reference is renewed now, or null to keep it
     */
    protected String renewalReason(int epoch, int epochsSinceRenewal, boolean klExceeded) {
        if (klExceeded && epoch != 0) {
            return config.metric() + " exceeded " + threshold;
        }
        if (epochsSinceRenewal > config.maxEpochs()) {
            return "more than " + config.maxEpochs() + " epochs since the last renewal";
        }
        return null;
    }

    /**
     * Hard copy of the source set into the target set.
     *
     * @param adapters the model's adapter sets
     */
    protected void renew(Adapters adapters) {
        adapters.get(config.target()).copyFrom(adapters.get(config.source()));
    }

    /**
     * Adapts the threshold at a renewal (only when the config asks for it).
     *
     * @param epochsSinceRenewal epochs since the previous renewal
     */
    protected void adaptThreshold(int epochsSinceRenewal) {
        if (!config.adaptiveThreshold()) {
            return;
        }
        if (epochsSinceRenewal > config.maxEpochs()) {
            threshold = Math.max(threshold - config.thresholdDecrease(), config.thresholdFloor());
        }
        if (epochsSinceRenewal < config.shortGap()) {
            threshold = Math.min(threshold + config.thresholdIncrease(), config.thresholdCeiling());
        }
    }


    /** @return the state's checkpoint key, naming the set this schedule writes */
    @Override
    public String stateKey() {
        return "adaptive_reference:" + config.target();
    }
    @Override
    public Map<String, Double> state() {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("threshold", threshold);
        s.put("last_renewal", (double) lastRenewal);
        s.put("pending", pending ? 1.0 : 0.0);
        s.put("renewals", (double) renewals);
        return s;
    }

    @Override
    public void restore(Map<String, Double> state) {
        if (state.isEmpty()) {
            threshold = config.klThreshold();
            lastRenewal = 0;
            pending = false;
            renewals = 0;
            return;
        }
        for (String key : new String[] {"threshold", "last_renewal", "pending", "renewals"}) {
            if (!state.containsKey(key)) {
                throw new IllegalArgumentException("adaptive reference state lacks '" + key + "': " + state.keySet());
            }
        }
        threshold = state.get("threshold");
        lastRenewal = state.get("last_renewal").intValue();
        pending = state.get("pending") != 0;
        renewals = state.get("renewals").intValue();
    }

    @Override
    public java.util.List<String> adapterSets() {
        return java.util.stream.Stream.of(config.target(), config.source())
                .filter(s -> s != null && !s.equals(io.diffrl4j.core.adapter.AdapterRoles.POLICY)).distinct().toList();
    }
}
