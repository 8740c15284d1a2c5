package io.diffrl4j.examples.shapes.server;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's connection threads, each exchange given a deadline for sending its whole request
 * (request line, headers and body): a client that has not finished by then has its connection
 * closed, by interrupting the thread blocked reading it (the JDK server reads from an
 * interruptible channel, so the interrupt closes the connection and ends the read). So a client
 * that trickles bytes, promises a longer body than it sends or never ends a chunked body holds a
 * thread for at most the deadline, and slow clients cannot starve valid ones of threads for longer.
 * The JDK's {@code HttpServer} has no such limit of its own (it reads headers on these threads too).
 */
final class ReadDeadlines implements Executor, AutoCloseable {
    private static final ThreadLocal<Watch> CURRENT = new ThreadLocal<>();

    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final long timeoutNanos;

    /** One exchange's watch: interrupts its thread if the request is still being read at the deadline. */
    private static final class Watch {
        private final Thread thread;
        private boolean reading = true;
        private boolean expired;
        private ScheduledFuture<?> deadline;

        Watch(Thread thread) {
            this.thread = thread;
        }

        synchronized void expire() {
            if (reading) {
                expired = true;
                thread.interrupt();
            }
        }

        synchronized void stop() {
            reading = false;
            if (deadline != null) {
                deadline.cancel(false);
            }
        }

        synchronized boolean expired() {
            return expired;
        }
    }

    /**
     * @param threads connections served at once
     * @param timeout how long a connection may take to send its request
     * @param name the threads' name prefix
     */
    ReadDeadlines(int threads, Duration timeout, String name) {
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-deadlines");
            t.setDaemon(true);
            return t;
        });
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void execute(Runnable exchange) {
        pool.execute(() -> {
            Watch w = new Watch(Thread.currentThread());
            synchronized (w) {
                w.deadline = timer.schedule(w::expire, timeoutNanos, TimeUnit.NANOSECONDS);
            }
            CURRENT.set(w);
            try {
                exchange.run();
            } finally {
                w.stop();
                CURRENT.remove();
                Thread.interrupted(); // an interrupt that raced the end must not reach the next exchange
            }
        });
    }

    /** Called by the handler on its thread once the whole request body is read: the deadline no longer applies. */
    static void received() {
        Watch w = CURRENT.get();
        if (w != null) {
            w.stop();
        }
    }

    /** @return whether the current exchange's deadline passed while it was being read */
    static boolean expired() {
        Watch w = CURRENT.get();
        return w != null && w.expired();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pool.shutdownNow();
    }
}
