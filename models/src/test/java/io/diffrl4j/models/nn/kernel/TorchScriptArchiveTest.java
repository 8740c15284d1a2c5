package io.diffrl4j.models.nn.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

class TorchScriptArchiveTest {

    private static final String SCALE_SOURCE =
            """
            def forward(self, x: Tensor) -> Tensor:
                return x * self.factor
            """;

    @Test
    void writesTheExpectedEntries(@TempDir Path dir) throws IOException {
        Path file = TorchScriptArchive.module("SdpaKernel")
                .source(TorchKernels.SDPA.source())
                .writeTo(dir.resolve("sdpa.pt"));

        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
                entries.put(e.getName(), zip.readAllBytes());
            }
        }
        assertEquals(List.of("archive/data.pkl", "archive/code/__torch__.py",
                "archive/constants.pkl", "archive/version"), new ArrayList<>(entries.keySet()));
        assertEquals("10\n", new String(entries.get("archive/version"), StandardCharsets.US_ASCII));
        // pickle of (): PROTO 2, EMPTY_TUPLE, STOP
        assertArrayEquals(new byte[] {(byte) 0x80, 2, ')', '.'},
                entries.get("archive/constants.pkl"));

        byte[] data = entries.get("archive/data.pkl");
        ByteArrayInputStream expected = new ByteArrayInputStream(concat(
                new byte[] {(byte) 0x80, 2},
                "c__torch__\nSdpaKernel\n".getBytes(StandardCharsets.US_ASCII),
                new byte[] {')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0},
                "training".getBytes(StandardCharsets.US_ASCII),
                new byte[] {(byte) 0x88, 'u', 'b', '.'}));
        assertArrayEquals(expected.readAllBytes(), data);

        String code = new String(entries.get("archive/code/__torch__.py"), StandardCharsets.UTF_8);
        assertEquals("""
                class SdpaKernel(Module):
                  __parameters__ = []
                  __buffers__ = []
                  training : bool
                  def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
                      return torch.scaled_dot_product_attention(q, k, v)
                """, code);
    }

    @Test
    void archivesAreDeterministic() {
        byte[] a = TorchScriptArchive.module("A").source(SCALE_SOURCE).attribute("factor", 2.5)
                .toBytes();
        byte[] b = TorchScriptArchive.module("A").source(SCALE_SOURCE).attribute("factor", 2.5)
                .toBytes();
        assertArrayEquals(a, b);
    }

    @Test
    void picklesScalarsAndContainers() {
        // Byte-exact against what CPython's pickle.dumps(..., protocol=2) emits (memo aside).
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'K', 7, '.'}, PickleWriter.dumps(7));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'M', 0x00, 0x01, '.'},
                PickleWriter.dumps(256));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'J', (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, '.'}, PickleWriter.dumps(-1));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'G', 0x3f, (byte) 0xf8, 0, 0, 0, 0, 0, 0,
                '.'}, PickleWriter.dumps(1.5));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'N', '.'}, PickleWriter.dumps(null));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'K', 1, 'K', 2, (byte) 0x86, '.'},
                PickleWriter.dumps(PickleWriter.Tuple.of(1, 2)));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, ']', '(', (byte) 0x89, 'N', 'e', '.'},
                PickleWriter.dumps(java.util.Arrays.asList(false, null)));
    }

    @Test
    void loadsWithPlainDjlAndKeepsAttributes(@TempDir Path dir) throws Exception {
        TorchScriptArchive.module("ScaleKernel").source(SCALE_SOURCE).attribute("factor", 2.5)
                .attribute("label", "x").attribute("count", 3).attribute("flag", false)
                .writeTo(dir.resolve("ScaleKernel.pt"));
        try (Model model = Model.newInstance("ScaleKernel", Device.cpu(), "PyTorch");
                NDManager m = NDManager.newBaseManager()) {
            model.load(dir, "ScaleKernel", Map.of("mapLocation", "true"));
            NDArray x = m.create(new float[] {1, -2});
            NDList out = model.getBlock().forward(new ParameterStore(m, false), new NDList(x),
                    false);
            assertArrayEquals(new float[] {2.5f, -5f}, out.singletonOrThrow().toFloatArray());
        }
    }

    @Test
    void runsExtraMethods() {
        try (KernelRegistry registry = new KernelRegistry();
                NDManager m = NDManager.newBaseManager()) {
            KernelSpec spec = new KernelSpec("TwiceKernel", """
                    def forward(self, x: Tensor) -> Tensor:
                        return self.twice(x) + 1.0

                    def twice(self, x: Tensor) -> Tensor:
                        return x * 2.0
                    """);
            NDArray x = m.create(new float[] {1, 2, 3});
            NDArray y = registry.get(spec).apply(x);
            assertArrayEquals(new float[] {3, 5, 7}, y.toFloatArray());
            assertSame(m, y.getManager());
        }
    }

    @Test
    void loadingTwiceInOneJvmWorks() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-1f, 0f, 2f});
            TorchKernel first;
            try (KernelRegistry r1 = new KernelRegistry();
                    KernelRegistry r2 = new KernelRegistry()) {
                first = r1.get(TorchKernels.GELU_TANH);
                TorchKernel second = r2.get(TorchKernels.GELU_TANH);
                assertNotSame(first, second);
                assertSame(first, r1.get(TorchKernels.GELU_TANH), "cached per registry");
                assertArrayEquals(first.apply(x).toFloatArray(), second.apply(x).toFloatArray());
                assertTrue(Files.isRegularFile(r1.directory().resolve("GeluTanhKernel.pt")));
                assertFalse(r1.directory().equals(r2.directory()));
            }
            KernelException closed = assertThrows(KernelException.class, () -> first.apply(x));
            assertTrue(closed.getMessage().contains("GeluTanhKernel"), closed.getMessage());
        }
    }

    @Test
    void closingDeletesTheDirectory() {
        KernelRegistry r = new KernelRegistry();
        r.get(TorchKernels.GELU_TANH);
        Path dir = r.directory();
        assertTrue(Files.isDirectory(dir));
        r.close();
        assertFalse(Files.exists(dir));
        r.close(); // idempotent
        assertThrows(KernelException.class, () -> r.get(TorchKernels.GELU_TANH));
    }

    @Test
    void malformedSourceNamesTheKernel() {
        try (KernelRegistry registry = new KernelRegistry()) {
            KernelSpec bad = new KernelSpec("BrokenKernel", """
                    def forward(self, x: Tensor) -> Tensor:
                        return torch.no_such_op(x)
                    """);
            KernelException e = assertThrows(KernelException.class, () -> registry.get(bad));
            assertEquals("BrokenKernel", e.kernelName());
            assertTrue(e.getMessage().contains("BrokenKernel"), e.getMessage());
            assertTrue(e.getMessage().contains("no_such_op"), e.getMessage());
            // the failure is cached, and reported again with the name
            KernelException again = assertThrows(KernelException.class, () -> registry.get(bad));
            assertTrue(again.getMessage().contains("BrokenKernel"), again.getMessage());
            assertTrue(registry.tryGet(bad).isEmpty());

            KernelSpec syntax = new KernelSpec("SyntaxKernel", """
                    def forward(self, x: Tensor) -> Tensor:
                        return x +
                    """);
            KernelException s = assertThrows(KernelException.class, () -> registry.get(syntax));
            assertTrue(s.getMessage().contains("SyntaxKernel"), s.getMessage());
        }
    }

    @Test
    void runtimeErrorsNameTheKernel() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.zeros(new Shape(1, 1, 4, 8));
            NDArray k = m.zeros(new Shape(1, 1, 4, 5)); // D mismatch
            KernelException e = assertThrows(KernelException.class,
                    () -> TorchKernels.sdpa(q, k, k));
            assertTrue(e.getMessage().contains("SdpaKernel"), e.getMessage());
        }
    }

    @Test
    void rejectsBadNamesAndConflictingSources() {
        assertThrows(IllegalArgumentException.class, () -> TorchScriptArchive.module("1abc"));
        assertThrows(IllegalArgumentException.class, () -> TorchScriptArchive.module("a.b"));
        assertThrows(IllegalArgumentException.class,
                () -> TorchScriptArchive.module("A").attribute("training", true));
        assertThrows(IllegalStateException.class, () -> TorchScriptArchive.module("A").code());
        try (KernelRegistry registry = new KernelRegistry()) {
            registry.get(TorchKernels.GELU_TANH);
            KernelSpec clash = new KernelSpec("GeluTanhKernel", """
                    def forward(self, x: Tensor) -> Tensor:
                        return x
                    """);
            assertThrows(IllegalArgumentException.class, () -> registry.get(clash));
        }
    }

    @Test
    void concurrentFirstUseLoadsOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (KernelRegistry registry = new KernelRegistry()) {
            List<Future<TorchKernel>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> registry.get(TorchKernels.SDPA)));
            }
            TorchKernel first = futures.get(0).get();
            for (Future<TorchKernel> f : futures) {
                assertSame(first, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aliasRuleMirrorsDjlInputNames() {
        assertFalse(TorchKernel.needsAlias(null));
        assertFalse(TorchKernel.needsAlias("weight"));
        assertTrue(TorchKernel.needsAlias("blocks.0.norm.weight"));
        assertTrue(TorchKernel.needsAlias("x[]"));
        assertTrue(TorchKernel.needsAlias("x()"));
        assertTrue(TorchKernel.needsAlias("module_method:foo"));
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
