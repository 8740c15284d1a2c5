package io.diffrl4j.methods.crd;

import io.diffrl4j.core.adapter.AdapterRoles;

/**
 * Which adapter set draws CRD's rollouts (docs/ALGORITHMS.md 2.5, 7.6).
 */
public enum SamplerMode {
    /**
     * The paper (default): a separate snapshot {@link AdapterRoles#SAMPLER} with its own EMA schedule,
     * distinct from both the policy and the moving reference.
     */
    DECOUPLED(AdapterRoles.SAMPLER),
    /** Rollouts from the current policy; no sampler snapshot. */
    ON_POLICY(AdapterRoles.POLICY),
    /**
     * Rollouts from the moving reference {@link AdapterRoles#OLD} itself: reproduces the
     * ratio-signal collapse the decoupling avoids. For ablations only.
     */
    MOVING_REFERENCE(AdapterRoles.OLD);

    private final String samplingSet;

    SamplerMode(String samplingSet) {
        this.samplingSet = samplingSet;
    }

    /** @return the adapter set rollouts are drawn with in this mode */
    public String samplingSet() {
        return samplingSet;
    }
}
