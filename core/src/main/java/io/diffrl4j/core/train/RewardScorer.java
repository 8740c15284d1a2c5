package io.diffrl4j.core.train;

import io.diffrl4j.core.reward.CompositeReward;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.reward.RewardFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scores sampling batches off the training thread so that scoring batch n overlaps sampling batch
 * n+1. Every reward (proxy first, then auxiliaries) and the optional embedder run on each batch;
 * results are reassembled in submission order, so the outcome does not depend on thread timing.
 * Failures, time-outs, wrong counts and non-finite scores become a {@link RewardException} that
 * names the reward. {@link #close()} stops the threads.
 */
public final class RewardScorer implements AutoCloseable {
    private final RewardFunction proxy;
    private final List<RewardFunction> auxiliaries;
    private final ImageEmbedder embedder;
    private final Duration timeout;
    private final ExecutorService pool;
    private final List<Future<Scored>> pending = new ArrayList<>();
    private final List<Prompt> prompts = new ArrayList<>();

    private record Scored(Map<String, double[]> scores, float[][] embeddings) {}

    /**
     * @param proxy the optimised reward
     * @param auxiliaries other rewards scored alongside (may be empty)
     * @param embedder image features for the advantage estimator, or null
     * @param threads scoring threads
     * @param timeout the time allowed per sampling batch, counted from when its result is awaited
     */
    public RewardScorer(RewardFunction proxy, List<RewardFunction> auxiliaries, ImageEmbedder embedder, int threads,
            Duration timeout) {
        this.proxy = proxy;
        this.auxiliaries = List.copyOf(auxiliaries);
        this.embedder = embedder;
        this.timeout = timeout;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "diffrl4j-reward-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts scoring one sampling batch.
     *
     * @param images the batch's decoded images
     * @param batchPrompts their prompts, same order
     */
    public void submit(ImageBatch images, List<Prompt> batchPrompts) {
        if (images.count() != batchPrompts.size()) {
            throw new IllegalArgumentException(images.count() + " images for " + batchPrompts.size() + " prompts");
        }
        prompts.addAll(batchPrompts);
        List<Prompt> ps = List.copyOf(batchPrompts);
        pending.add(pool.submit(() -> score(images, ps)));
    }

    /**
     * Waits for every submitted batch and assembles the epoch's rewards; the scorer is then empty.
     *
     * @param groupSize G
     * @return the validated rewards of everything submitted, in submission order
     * @throws RewardException naming the reward that failed
     */
    public RewardBatch collect(int groupSize) {
        try {
            Map<String, double[]> all = new LinkedHashMap<>();
            List<float[][]> embeddings = new ArrayList<>();
            for (Future<Scored> f : pending) {
                Scored s = await(f);
                s.scores.forEach((k, v) -> all.merge(k, v, RewardScorer::concat));
                embeddings.add(s.embeddings);
            }
            float[][] features = embedder == null ? null
                    : embeddings.stream().flatMap(java.util.Arrays::stream).toArray(float[][]::new);
            try {
                List<String> parts = proxy instanceof CompositeReward c
                        ? c.parts().stream().map(RewardFunction::name).toList() : List.of();
                return new RewardBatch(proxy.name(), parts, all, features, prompts, groupSize);
            } catch (IllegalArgumentException e) {
                throw new RewardException(e.getMessage(), e);
            }
        } finally {
            pending.forEach(f -> f.cancel(true));
            pending.clear();
            prompts.clear();
        }
    }

    private Scored await(Future<Scored> f) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new RewardException("scoring did not finish within " + timeout.toMillis() + " ms (rewards: "
                    + names() + ")", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RewardException ? (RewardException) cause
                    : new RewardException("scoring failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RewardException("interrupted while waiting for rewards", e);
        }
    }

    private Scored score(ImageBatch images, List<Prompt> ps) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        List<RewardFunction> all = new ArrayList<>();
        all.add(proxy);
        all.addAll(auxiliaries);
        for (RewardFunction r : all) {
            if (r instanceof CompositeReward c) {
                List<double[]> parts = new ArrayList<>();
                for (RewardFunction part : c.parts()) {
                    double[] p = scoreOne(part, " (part of '" + c.name() + "')", images, ps);
                    putOnce(scores, part.name(), p);
                    parts.add(p);
                }
                double[] combined;
                try {
                    combined = c.combine(parts);
                } catch (RuntimeException e) {
                    throw new RewardException("reward '" + c.name() + "' could not combine its parts: " + e, e);
                }
                putOnce(scores, c.name(), checkCount(c, "", combined, images.count()));
            } else {
                putOnce(scores, r.name(), scoreOne(r, "", images, ps));
            }
        }
        float[][] features = null;
        if (embedder != null) {
            try {
                features = embedder.embed(images);
            } catch (Exception e) {
                throw new RewardException("image embedder failed: " + e, e);
            }
            if (features == null || features.length != images.count()) {
                throw new RewardException("image embedder returned " + (features == null ? "null" : features.length
                        + " vectors") + " for " + images.count() + " images", null);
            }
        }
        return new Scored(scores, features);
    }

    private static double[] scoreOne(RewardFunction r, String role, ImageBatch images, List<Prompt> ps) {
        double[] s;
        try {
            s = r.score(images, ps);
        } catch (Exception e) {
            throw new RewardException("reward '" + r.name() + "'" + role + " failed: " + e, e);
        }
        return checkCount(r, role, s, images.count());
    }

    private static double[] checkCount(RewardFunction r, String role, double[] s, int count) {
        if (s == null || s.length != count) {
            throw new RewardException("reward '" + r.name() + "'" + role + " returned " + (s == null ? "null" : s.length + " scores")
                    + " for " + count + " images", null);
        }
        return s.clone();
    }

    private static void putOnce(Map<String, double[]> scores, String name, double[] s) {
        if (scores.put(name, s) != null) {
            // two rewards under one name would silently overwrite each other's scores
            throw new RewardException("two rewards are named '" + name + "': give each reward a distinct name", null);
        }
    }

    private String names() {
        List<String> n = new ArrayList<>();
        n.add(proxy.name());
        auxiliaries.forEach(a -> n.add(a.name()));
        return String.join(", ", n);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
