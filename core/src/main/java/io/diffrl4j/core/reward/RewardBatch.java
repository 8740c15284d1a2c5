package io.diffrl4j.core.reward;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores of one epoch's P*G images (prompt order): the proxy reward being optimised, any
 * auxiliary rewards (e.g. GARDO's reliability signals, held-out metrics), and optionally image
 * embeddings. Values are validated finite and of the right count when built. Immutable.
 */
public final class RewardBatch {
    private final String proxy;
    private final List<String> proxyParts;
    private final Map<String, double[]> scores;
    private final float[][] embeddings;
    private final List<Prompt> prompts;
    private final int groupSize;
    private final double[][] referenceKl;

    /**
     * @param proxy the name of the optimised reward; must be a key of {@code scores}
     * @param scores every reward's scores by name, each of length {@code prompts.size()}
     * @param embeddings one vector per image, or null
     * @param prompts the prompt of each image (P*G, prompt order)
     * @param groupSize G
     */
    public RewardBatch(String proxy, Map<String, double[]> scores, float[][] embeddings, List<Prompt> prompts, int groupSize) {
        this(proxy, List.of(), scores, embeddings, prompts, groupSize);
    }

    /**
     * @param proxy the name of the optimised reward; must be a key of {@code scores}
     * @param proxyParts the names of the rewards the proxy is made of (a {@link CompositeReward}'s
     *     parts), each a key of {@code scores}; empty when the proxy is a plain reward
     * @param scores every reward's scores by name, each of length {@code prompts.size()}
     * @param embeddings one vector per image, or null
     * @param prompts the prompt of each image (P*G, prompt order)
     * @param groupSize G
     */
    public RewardBatch(String proxy, List<String> proxyParts, Map<String, double[]> scores, float[][] embeddings,
            List<Prompt> prompts, int groupSize) {
        if (!scores.containsKey(proxy)) {
            throw new IllegalArgumentException("the proxy reward '" + proxy + "' has no scores; have " + scores.keySet());
        }
        int n = prompts.size();
        if (groupSize < 1 || n % groupSize != 0) {
            throw new IllegalArgumentException(n + " images do not form groups of " + groupSize);
        }
        Map<String, double[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : scores.entrySet()) {
            double[] v = e.getValue();
            if (v == null || v.length != n) {
                throw new IllegalArgumentException("reward '" + e.getKey() + "' returned " + (v == null ? "null" : v.length + " scores")
                        + " for " + n + " images");
            }
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(v[i])) {
                    throw new IllegalArgumentException("reward '" + e.getKey() + "' returned " + v[i] + " for image " + i
                            + " (prompt \"" + prompts.get(i).text() + "\")");
                }
            }
            copy.put(e.getKey(), v.clone());
        }
        if (embeddings != null && embeddings.length != n) {
            throw new IllegalArgumentException("the embedder returned " + embeddings.length + " vectors for " + n + " images");
        }
        for (String part : proxyParts) {
            if (!scores.containsKey(part) || part.equals(proxy)) {
                throw new IllegalArgumentException("the proxy's part '" + part + "' has no scores of its own; have "
                        + scores.keySet());
            }
        }
        this.proxy = proxy;
        this.proxyParts = List.copyOf(proxyParts);
        this.scores = Collections.unmodifiableMap(copy);
        this.embeddings = embeddings;
        this.prompts = List.copyOf(prompts);
        this.groupSize = groupSize;
        this.referenceKl = null;
    }

    private RewardBatch(RewardBatch b, double[][] referenceKl) {
        this.proxy = b.proxy;
        this.proxyParts = b.proxyParts;
        this.scores = b.scores;
        this.embeddings = b.embeddings;
        this.prompts = b.prompts;
        this.groupSize = b.groupSize;
        this.referenceKl = referenceKl;
    }

    /**
     * The same scores with the rollouts' per-step KL to the reference attached (Flow-GRPO's former
     * KL-in-reward: its objective subtracts {@code kl_reward * kl} from the reward of every step).
     *
     * @param kl per image (prompt order) and recorded step, every row of the same length, finite
     * @return a batch carrying a copy of {@code kl}
     * @throws IllegalArgumentException naming the first bad row or value
     */
    public RewardBatch withReferenceKl(double[][] kl) {
        if (kl.length != size()) {
            throw new IllegalArgumentException("a reference KL for " + kl.length + " images, the batch has " + size());
        }
        double[][] copy = new double[kl.length][];
        for (int i = 0; i < kl.length; i++) {
            if (kl[i] == null || kl[i].length != kl[0].length) {
                throw new IllegalArgumentException("reference KL row " + i + " has " + (kl[i] == null ? "no" : kl[i].length)
                        + " steps, row 0 has " + kl[0].length);
            }
            for (int t = 0; t < kl[i].length; t++) {
                if (!Double.isFinite(kl[i][t])) {
                    throw new IllegalArgumentException("the reference KL of image " + i + " at recorded step " + t + " is "
                            + kl[i][t]);
                }
            }
            copy[i] = kl[i].clone();
        }
        return new RewardBatch(this, copy);
    }

    /**
     * @return per image and recorded step, the sampling policy's KL to the reference, or null when
     *     the rollouts did not record it (a copy)
     */
    public double[][] referenceKl() {
        if (referenceKl == null) {
            return null;
        }
        double[][] out = new double[referenceKl.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = referenceKl[i].clone();
        }
        return out;
    }

    /** @return the name of the optimised reward */
    public String proxyName() {
        return proxy;
    }

    /** @return a copy of the proxy reward's scores */
    public double[] proxy() {
        return scores.get(proxy).clone();
    }

    /** @param name a reward name @return a copy of its scores */
    public double[] get(String name) {
        double[] v = scores.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no reward named '" + name + "'; have " + scores.keySet());
        }
        return v.clone();
    }

    /** @return the names of all rewards, proxy included */
    public java.util.Set<String> names() {
        return scores.keySet();
    }

    /**
     * @return the names of the rewards other than the proxy and its parts (those an auxiliary-reward
     *     consumer such as GARDO's gate compares the proxy with)
     */
    public List<String> auxiliaryNames() {
        return scores.keySet().stream().filter(k -> !k.equals(proxy) && !proxyParts.contains(k)).toList();
    }

    /** @return the names of the rewards the proxy was combined from, empty for a plain proxy */
    public List<String> proxyParts() {
        return proxyParts;
    }

    /** @return image embeddings (do not modify), or null when none were computed */
    public float[][] embeddings() {
        return embeddings;
    }

    /** @return the prompt of each image */
    public List<Prompt> prompts() {
        return prompts;
    }

    /** @return the number of images P*G */
    public int size() {
        return prompts.size();
    }

    /** @return G */
    public int groupSize() {
        return groupSize;
    }

    /** @return the number of prompts P */
    public int groups() {
        return prompts.size() / groupSize;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RewardBatch{n=" + size());
        scores.forEach((k, v) -> b.append(", ").append(k).append(" mean=").append(Arrays.stream(v).average().orElse(0)));
        return b.append('}').toString();
    }
}
