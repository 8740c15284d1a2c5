package io.diffrl4j.samplers;

import io.diffrl4j.core.flow.SeededNoise;

/**
 * MixGRPO's SDE window that moves over training (arXiv 2507.21802; {@code fastvideo/utils/grpo_states.py}
 * of Tencent-Hunyuan/MixGRPO): in epoch {@code e} the steps {@code [start(e), min(start(e) + size, N - 2))}
 * are stochastic and trained, every other step deterministic. {@code N - 2} is the reference's
 * {@code max_timesteps = sampling_steps - 2}: the last two steps are never in the window. The start
 * begins at 0 and, after each epoch, moves by one of the reference's strategies:
 *
 * <ul>
 *   <li>{@link #progressive}: every {@code interval} epochs it moves by {@code stride} (the
 *       reference's {@code prog_overlap_step}, or the window size without overlap); past the last
 *       position it rolls back to 0 ({@code roll_back}) or stays at the end;</li>
 *   <li>{@link #decay}: the same, with the interval shrinking as the window moves,
 *       {@code max(min, int(max (1 - p) + min p))}, {@code p = start / (N - 2)};</li>
 *   <li>{@link #random}: a uniform start in {@code [0, N - 2 - size]} every epoch after the first.</li>
 * </ul>
 *
 * The position depends on the epoch alone (the random strategy draws from a stream forked by the
 * epoch; the reference's generator is unseeded), so a resumed run trains the steps an uninterrupted
 * one would. One deviation: where the reference's window would be empty (a start clipped to
 * {@code N - 2} without roll-back) it trains nothing; here the last step before {@code N - 2} is the
 * window. Immutable.
 */
public final class SlidingSdeWindow {
    private enum Strategy { PROGRESSIVE, DECAY, RANDOM }

    /** How the start moves: every {@code interval} epochs (down to {@code minInterval}) by {@code stride}. */
    private record Moves(int interval, int minInterval, int stride, boolean rollBack) {
        Moves {
            if (interval < 1 || minInterval < 1 || minInterval > interval) {
                throw new IllegalArgumentException("shift intervals must satisfy 1 <= min <= max, got " + minInterval
                        + " and " + interval);
            }
            if (stride < 0) {
                throw new IllegalArgumentException("the stride must be >= 0, got " + stride);
            }
        }
    }

    private final Strategy strategy;
    private final int size;
    private final Moves moves;
    private final long seed;

    private SlidingSdeWindow(Strategy strategy, int size, Moves moves, long seed) {
        if (size < 1) {
            throw new IllegalArgumentException("the window size must be >= 1, got " + size);
        }
        this.strategy = strategy;
        this.size = size;
        this.moves = moves;
        this.seed = seed;
    }

    /**
     * @param size the window's length (the reference's {@code group_size}, 4)
     * @param interval epochs between moves ({@code iters_per_group}, 25)
     * @param stride steps per move ({@code prog_overlap_step} 1 with {@code prog_overlap}; the size without)
     * @param rollBack back to 0 past the last position ({@code roll_back})
     * @return the progressive strategy
     */
    public static SlidingSdeWindow progressive(int size, int interval, int stride, boolean rollBack) {
        return new SlidingSdeWindow(Strategy.PROGRESSIVE, size, new Moves(interval, interval, stride, rollBack), 0);
    }

    /**
     * @param size the window's length
     * @param maxInterval epochs between moves at the start ({@code max_iters_per_group}, 10)
     * @param minInterval epochs between moves at the end ({@code min_iters_per_group}, 1)
     * @param stride steps per move
     * @param rollBack back to 0 past the last position
     * @return the decay strategy
     */
    public static SlidingSdeWindow decay(int size, int maxInterval, int minInterval, int stride, boolean rollBack) {
        return new SlidingSdeWindow(Strategy.DECAY, size, new Moves(maxInterval, minInterval, stride, rollBack), 0);
    }

    /**
     * @param size the window's length
     * @param seed the stream the starts are drawn from
     * @return the random strategy
     */
    public static SlidingSdeWindow random(int size, long seed) {
        return new SlidingSdeWindow(Strategy.RANDOM, size, new Moves(1, 1, 0, false), seed);
    }

    /**
     * @param epoch the epoch, from 0
     * @param steps the rollout's steps N, at least 3
     * @return {@code {first, end}}: the stochastic steps {@code first <= i < end} of that epoch
     */
    public int[] range(int epoch, int steps) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        int max = steps - 2;
        if (max < 1) {
            throw new IllegalArgumentException("a sliding SDE window needs at least 3 steps, got " + steps);
        }
        int start = start(epoch, max);
        int end = Math.min(start + size, max);
        return end > start ? new int[] {start, end} : new int[] {max - 1, max};
    }

    private int start(int epoch, int max) {
        if (strategy == Strategy.RANDOM) {
            return epoch == 0 ? 0 : new SeededNoise(seed).fork(epoch).nextInt(Math.max(1, max - size + 1));
        }
        int start = 0;
        int inInterval = 0;
        for (int e = 0; e < epoch; e++) {
            inInterval++;
            if (inInterval >= intervalAt(start, max)) {
                inInterval = 0;
                start += moves.stride();
                if (start > max) {
                    start = moves.rollBack() ? 0 : max;
                }
            }
        }
        return start;
    }

    private int intervalAt(int start, int max) {
        if (strategy == Strategy.PROGRESSIVE) {
            return moves.interval();
        }
        double p = (double) start / max;
        return Math.max(moves.minInterval(), (int) (moves.interval() * (1 - p) + moves.minInterval() * p));
    }

    @Override
    public String toString() {
        return "SlidingSdeWindow[" + strategy.name().toLowerCase(java.util.Locale.ROOT) + ", size " + size
                + (strategy == Strategy.RANDOM ? "" : ", every " + (strategy == Strategy.DECAY ? moves.minInterval() + "-" : "")
                        + moves.interval() + " epochs by " + moves.stride() + (moves.rollBack() ? ", rolling back" : "")) + "]";
    }
}
