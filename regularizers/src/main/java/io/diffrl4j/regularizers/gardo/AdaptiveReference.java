package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.adapter.AdapterRoles;
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
 *   <li>{@link #afterStep}: when an optimizer step's {@link #metric()}
 *       (default "kl") exceeds the threshold, a renewal is due.</li>
 *   <li>{@link #beforeUpdate}: the reference is renewed when a renewal is due (never at epoch 0),
 *       or when more than {@link #maxEpochs()} epochs passed since the last
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

    /** The gated KL metric {@link GatedKl} reports, compared with the threshold by default. */
    public static final String GATED_METRIC = "kl_gated";
    /** The cap GARDO's NFT script puts on the raised threshold ({@code min(thres + 1e-2, 5e-2)}). */
    public static final double REFERENCE_NFT_CEILING = 0.05;
    /** The ungated KL metric every KL regularizer reports. */
    public static final String UNGATED_METRIC = "kl";

    private final String target;
    private final String source;
    private final String metric;
    private final double klThreshold;
    private final int maxEpochs;
    private final boolean adaptiveThreshold;
    private final double thresholdDecrease;
    private final double thresholdFloor;
    private final double thresholdIncrease;
    private final double thresholdCeiling;
    private final int shortGap;

    private double threshold;
    private int lastRenewal;
    private boolean pending;
    private int renewals;
    private boolean warnedMissingMetric;

    /**
     * @param b the settings (start from {@link #flowGrpo()} or {@link #diffusionNft()}), validated by
     *     {@link Builder#build()}
     */
    protected AdaptiveReference(Builder b) {
        this.target = b.target;
        this.source = b.source;
        this.metric = b.metric;
        this.klThreshold = b.klThreshold;
        this.maxEpochs = b.maxEpochs;
        this.adaptiveThreshold = b.adaptiveThreshold;
        this.thresholdDecrease = b.thresholdDecrease;
        this.thresholdFloor = b.thresholdFloor;
        this.thresholdIncrease = b.thresholdIncrease;
        this.thresholdCeiling = b.thresholdCeiling;
        this.shortGap = b.shortGap;
        this.threshold = klThreshold;
    }

    /** @return a builder for GARDO on Flow-GRPO: threshold 3e-4 on "kl_gated", renewal after 15 epochs at most */
    public static Builder flowGrpo() {
        return new Builder();
    }

    /**
     * @return a builder for GARDO on DiffusionNFT, as its script ({@code train_sd3_nft_gardo.py}) does:
     *     an adaptive threshold starting at 0.15; after a renewal that waited more than 15 epochs,
     *     {@code thres = max(thres - 0.01, 0.1)}; after one within fewer than 5 epochs,
     *     {@code thres = min(thres + 0.01, 0.05)}. That second line sets any threshold above 0.05 to
     *     0.05 (0.15 becomes 0.05 after the first quick renewal), and a later slow renewal then sets
     *     it to the floor 0.1: the cap lies below both the start and the floor, which looks like a bug
     *     in the reference (swapped bounds); it is followed here because it is the code the authors
     *     ran. {@code optThresholdIncrease(0.01, Double.POSITIVE_INFINITY)} gives the paper's reading
     *     (a quick renewal raises the threshold)
     */
    public static Builder diffusionNft() {
        return new Builder().optKlThreshold(0.15).optAdaptiveThreshold(true)
                .optThresholdIncrease(0.01, REFERENCE_NFT_CEILING);
    }

    /** @return a builder holding this schedule's settings (its state is not copied) */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.target = target;
        b.source = source;
        b.metric = metric;
        b.klThreshold = klThreshold;
        b.maxEpochs = maxEpochs;
        b.adaptiveThreshold = adaptiveThreshold;
        b.thresholdDecrease = thresholdDecrease;
        b.thresholdFloor = thresholdFloor;
        b.thresholdIncrease = thresholdIncrease;
        b.thresholdCeiling = thresholdCeiling;
        b.shortGap = shortGap;
        return b;
    }

    /** @return the snapshot set that is renewed (default {@link AdapterRoles#REFERENCE}) */
    public String target() {
        return target;
    }

    /** @return the set copied into it (default {@link AdapterRoles#POLICY}) */
    public String source() {
        return source;
    }

    /**
     * @return the step metric compared with the threshold (default "kl_gated", the gated KL average
     *     the official code compares: {@code info["kl_loss"] > thres} in its Flow-GRPO script,
     *     {@code reduced_log_info["kl_div_loss"] > thres} in its DiffusionNFT script; "kl" is the
     *     ungated mean; GARDO with the gate off uses "kl")
     */
    public String metric() {
        return metric;
    }

    /** @return the (starting) KL threshold (default 3e-4; 0.15 for DiffusionNFT) */
    public double klThreshold() {
        return klThreshold;
    }

    /** @return renew when more than this many epochs passed since the last renewal (default 15) */
    public int maxEpochs() {
        return maxEpochs;
    }

    /** @return whether the threshold adapts at each renewal (default false; true for DiffusionNFT) */
    public boolean adaptiveThreshold() {
        return adaptiveThreshold;
    }

    /** @return how much the threshold drops after a renewal forced by the epoch limit (default 0.01) */
    public double thresholdDecrease() {
        return thresholdDecrease;
    }

    /** @return the threshold never drops below this (default 0.1) */
    public double thresholdFloor() {
        return thresholdFloor;
    }

    /** @return how much the threshold rises after a renewal that came quickly (default 0.01) */
    public double thresholdIncrease() {
        return thresholdIncrease;
    }

    /**
     * @return a quick renewal sets the threshold to at most this (default +infinity; 0.05 from
     *     {@link #diffusionNft()}, as the official code, whose cap below its own start of 0.15 looks
     *     unintended)
     */
    public double thresholdCeiling() {
        return thresholdCeiling;
    }

    /** @return a renewal within fewer epochs than this raises the threshold (default 5) */
    public int shortGap() {
        return shortGap;
    }

    @Override
    public String toString() {
        return "AdaptiveReference{" + source + " -> " + target + ", " + metric + " > " + klThreshold
                + (adaptiveThreshold ? " (adaptive: -" + thresholdDecrease + " >= " + thresholdFloor + ", +"
                        + thresholdIncrease + " <= " + thresholdCeiling + ", short gap " + shortGap + ")" : "")
                + " or more than " + maxEpochs + " epochs}";
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
        Double value = stepMetrics.get(metric);
        if (value == null) {
            if (!warnedMissingMetric) {
                LOG.warn("GARDO adaptive reference: the optimizer steps report no '{}' metric (have {}); only the {}-epoch "
                        + "limit will renew the reference", metric, stepMetrics.keySet(), maxEpochs);
                warnedMissingMetric = true;
            }
            return;
        }
        if (value > threshold && !pending) {
            pending = true;
            LOG.debug("GARDO adaptive reference: step {} logged {} = {} > {}; renewal due", progress.globalStep(),
                    metric, value, threshold);
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
            return metric + " exceeded " + threshold;
        }
        if (epochsSinceRenewal > maxEpochs) {
            return "more than " + maxEpochs + " epochs since the last renewal";
        }
        return null;
    }

    /**
     * Hard copy of the source set into the target set.
     *
     * @param adapters the model's adapter sets
     */
    protected void renew(Adapters adapters) {
        adapters.get(target).copyFrom(adapters.get(source));
    }

    /**
     * Adapts the threshold at a renewal (only when {@link #adaptiveThreshold()} is on).
     *
     * @param epochsSinceRenewal epochs since the previous renewal
     */
    protected void adaptThreshold(int epochsSinceRenewal) {
        if (!adaptiveThreshold) {
            return;
        }
        if (epochsSinceRenewal > maxEpochs) {
            threshold = Math.max(threshold - thresholdDecrease, thresholdFloor);
        }
        if (epochsSinceRenewal < shortGap) {
            threshold = Math.min(threshold + thresholdIncrease, thresholdCeiling);
        }
    }


    /** @return the state's checkpoint key, naming the set this schedule writes */
    @Override
    public String stateKey() {
        return "adaptive_reference:" + target;
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
            threshold = klThreshold;
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
        return java.util.stream.Stream.of(target, source)
                .filter(s -> s != null && !s.equals(io.diffrl4j.core.adapter.AdapterRoles.POLICY)).distinct().toList();
    }
    /** Builder; validated by {@link #build()}. */
    public static final class Builder {
        private String target = AdapterRoles.REFERENCE;
        private String source = AdapterRoles.POLICY;
        private String metric = GATED_METRIC;
        private double klThreshold = 3e-4;
        private int maxEpochs = 15;
        private boolean adaptiveThreshold = false;
        private double thresholdDecrease = 0.01;
        private double thresholdFloor = 0.1;
        private double thresholdIncrease = 0.01;
        private double thresholdCeiling = Double.POSITIVE_INFINITY;
        private int shortGap = 5;

        private Builder() {}

        /** @param target the snapshot set to renew @return this */
        public Builder optTarget(String target) {
            this.target = target;
            return this;
        }

        /** @param source the set copied into the target @return this */
        public Builder optSource(String source) {
            this.source = source;
            return this;
        }

        /** @param metric the step metric compared with the threshold @return this */
        public Builder optMetric(String metric) {
            this.metric = metric;
            return this;
        }

        /** @param threshold the (starting) KL threshold, finite and {@code >= 0} @return this */
        public Builder optKlThreshold(double threshold) {
            this.klThreshold = threshold;
            return this;
        }

        /** @param epochs renew after more than this many epochs, at least 1 @return this */
        public Builder optMaxEpochs(int epochs) {
            this.maxEpochs = epochs;
            return this;
        }

        /** @param adaptive whether the threshold adapts at renewals @return this */
        public Builder optAdaptiveThreshold(boolean adaptive) {
            this.adaptiveThreshold = adaptive;
            return this;
        }

        /**
         * @param decrease drop after a renewal forced by the epoch limit, {@code >= 0}
         * @param floor the lowest threshold, {@code >= 0}
         * @return this
         */
        public Builder optThresholdDecrease(double decrease, double floor) {
            this.thresholdDecrease = decrease;
            this.thresholdFloor = floor;
            return this;
        }

        /**
         * @param increase rise after a quick renewal, {@code >= 0}
         * @param ceiling the highest threshold after a rise, {@code >= 0} (may be infinite; the official
         *     code uses 0.05)
         * @return this
         */
        public Builder optThresholdIncrease(double increase, double ceiling) {
            this.thresholdIncrease = increase;
            this.thresholdCeiling = ceiling;
            return this;
        }

        /** @param epochs a renewal within fewer epochs raises the threshold, {@code >= 0} @return this */
        public Builder optShortGap(int epochs) {
            this.shortGap = epochs;
            return this;
        }

        /**
         * @return the schedule
         * @throws IllegalArgumentException naming the first bad field
         */
        public AdaptiveReference build() {
            if (target == null || target.isBlank()) {
                throw new IllegalArgumentException("target must name an adapter set");
            }
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("source must name an adapter set");
            }
            if (target.equals(source)) {
                throw new IllegalArgumentException("target and source must differ, both are '" + target + "'");
            }
            if (metric == null || metric.isBlank()) {
                throw new IllegalArgumentException("metric must name a step metric");
            }
            if (!(klThreshold >= 0) || Double.isInfinite(klThreshold)) {
                throw new IllegalArgumentException("klThreshold must be finite and >= 0, got " + klThreshold);
            }
            if (maxEpochs < 1) {
                throw new IllegalArgumentException("maxEpochs must be >= 1, got " + maxEpochs);
            }
            if (!(thresholdDecrease >= 0) || Double.isInfinite(thresholdDecrease)) {
                throw new IllegalArgumentException("thresholdDecrease must be finite and >= 0, got " + thresholdDecrease);
            }
            if (!(thresholdFloor >= 0) || Double.isInfinite(thresholdFloor)) {
                throw new IllegalArgumentException("thresholdFloor must be finite and >= 0, got " + thresholdFloor);
            }
            if (!(thresholdIncrease >= 0) || Double.isInfinite(thresholdIncrease)) {
                throw new IllegalArgumentException("thresholdIncrease must be finite and >= 0, got " + thresholdIncrease);
            }
            // A ceiling below the floor is allowed: the official NFT code caps at 0.05 with a floor of 0.1.
            if (!(thresholdCeiling >= 0)) {
                throw new IllegalArgumentException("thresholdCeiling must be >= 0 (may be infinite), got " + thresholdCeiling);
            }
            if (shortGap < 0) {
                throw new IllegalArgumentException("shortGap must be >= 0, got " + shortGap);
            }
            return new AdaptiveReference(this);
        }
    }
}
