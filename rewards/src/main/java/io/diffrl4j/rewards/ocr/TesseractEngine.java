package io.diffrl4j.rewards.ocr;

import static org.bytedeco.tesseract.global.tesseract.OEM_LSTM_ONLY;
import static org.bytedeco.tesseract.global.tesseract.PSM_AUTO;
import static org.bytedeco.tesseract.global.tesseract.PSM_SPARSE_TEXT;
import static org.bytedeco.tesseract.global.tesseract.RIL_TEXTLINE;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tesseract.ResultIterator;
import org.bytedeco.tesseract.TessBaseAPI;
import org.bytedeco.tesseract.global.tesseract;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OcrEngine} backed by Tesseract 5 (LSTM recogniser) running in-process through
 * JavaCPP's bundled native library; only the language model ({@code <language>.traineddata}) comes
 * from outside, by default from Debian's {@code tesseract-ocr-eng} package. Confidences are
 * Tesseract's per-line confidences divided by 100.
 *
 * <p>The defaults are tuned for generated images rather than scanned pages (measured on Java2D
 * renders of signs on gradients, blobs and noise, 256 and 512 pixels): images are enlarged 2x
 * (bicubic) because Tesseract's LSTM reads best with glyphs some 20 pixels or more tall and small
 * or thin generated lettering falls below that (2x read more than 1x and 3x); text is looked for
 * anywhere in the image (sparse-text layout), as text in a scene is not laid out as a page; and
 * binarisation uses Sauvola's local thresholds, which kept text on busy backgrounds that the
 * default global Otsu threshold lost.
 *
 * <p>Thread-safe: a Tesseract handle serves one thread at a time, so the engine keeps a pool of
 * handles, lends one per {@link #read} and opens another only when every handle is busy (so there
 * are at most as many handles as concurrent callers). {@link #close()} ends them all. Build with
 * {@link #builder()}; building checks that the model file exists and opens the first handle, so a
 * missing or broken model fails there, not in the middle of training.
 */
public final class TesseractEngine implements OcrEngine {
    /** Where Debian's {@code tesseract-ocr-eng} (bookworm, Tesseract 5) installs its models. */
    public static final Path DEFAULT_TESSDATA = Path.of("/usr/share/tesseract-ocr/5/tessdata");

    private static final Logger LOG = LoggerFactory.getLogger(TesseractEngine.class);

    private final Path tessdata;
    private final String language;
    private final int upscale;
    private final boolean sparseText;
    private final Map<String, String> variables;
    private final ConcurrentLinkedDeque<TessBaseAPI> idle = new ConcurrentLinkedDeque<>();
    private final Set<TessBaseAPI> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TesseractEngine(Path tessdata, Builder b) {
        this.tessdata = tessdata;
        this.language = b.language;
        this.upscale = b.upscale;
        this.sparseText = b.sparseText;
        this.variables = Collections.unmodifiableMap(new LinkedHashMap<>(b.variables));
    }

    /**
     * @return a builder with the defaults: the tessdata directory of {@code TESSDATA_PREFIX} if set,
     *     else {@link #DEFAULT_TESSDATA}; language {@code eng}; upscale 2; sparse-text layout;
     *     Sauvola thresholding ({@code thresholding_method=2})
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the directory holding the language model */
    public Path tessdata() {
        return tessdata;
    }

    /** @return the language model's name */
    public String language() {
        return language;
    }

    /** @return the factor images are enlarged by before recognition */
    public int upscale() {
        return upscale;
    }

    /** @return whether Tesseract looks for sparse text anywhere in the image, rather than a page */
    public boolean sparseText() {
        return sparseText;
    }

    /** @return the Tesseract parameters set on every handle, in the order they are set */
    public Map<String, String> variables() {
        return variables;
    }

    @Override
    public List<OcrLine> read(BufferedImage image) {
        TessBaseAPI api = acquire();
        try {
            return recognise(api, image);
        } finally {
            release(api);
        }
    }

    private List<OcrLine> recognise(TessBaseAPI api, BufferedImage image) {
        BufferedImage rgb = prepare(image);
        int w = rgb.getWidth();
        int h = rgb.getHeight();
        byte[] pixels = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            rgb.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = 3 * (y * w + x);
                pixels[o] = (byte) (p >> 16);
                pixels[o + 1] = (byte) (p >> 8);
                pixels[o + 2] = (byte) p;
            }
        }
        api.SetImage(pixels, w, h, 3, 3 * w);
        // Generated images carry no resolution; a fixed one keeps Tesseract from guessing (and
        // warning) per image.
        api.SetSourceResolution(300);
        if (api.Recognize(null) != 0) {
            api.Clear();
            throw new IllegalStateException("Tesseract failed to recognise a " + image.getWidth() + " x "
                    + image.getHeight() + " image");
        }
        List<OcrLine> lines = new ArrayList<>();
        ResultIterator it = api.GetIterator();
        if (it != null && !it.isNull()) {
            try {
                do {
                    if (it.Empty(RIL_TEXTLINE)) {
                        continue;
                    }
                    BytePointer text = it.GetUTF8Text(RIL_TEXTLINE);
                    if (text == null || text.isNull()) {
                        continue;
                    }
                    String s;
                    try {
                        s = text.getString(StandardCharsets.UTF_8);
                    } finally {
                        tesseract.TessDeleteText(text);
                    }
                    s = s.strip();
                    if (!s.isEmpty()) {
                        double confidence = Math.max(0, Math.min(100, it.Confidence(RIL_TEXTLINE))) / 100.0;
                        lines.add(new OcrLine(s, confidence));
                    }
                } while (it.Next(RIL_TEXTLINE));
            } finally {
                tesseract.TessResultIteratorDelete(it);
            }
        }
        api.Clear();
        return lines;
    }

    /** The image as opaque RGB on white (transparent pixels read as paper), enlarged by {@link #upscale} (bicubic). */
    private BufferedImage prepare(BufferedImage image) {
        int w = image.getWidth() * upscale;
        int h = image.getHeight() * upscale;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(image, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private TessBaseAPI acquire() {
        if (closed) {
            throw new IllegalStateException("TesseractEngine is closed");
        }
        TessBaseAPI api = idle.pollFirst();
        return api != null ? api : openHandle();
    }

    private void release(TessBaseAPI api) {
        idle.addFirst(api);
        // A close() that ran while the handle was lent could not end it; end it now.
        if (closed && idle.remove(api)) {
            end(api);
        }
    }

    private TessBaseAPI openHandle() {
        TessBaseAPI api = new TessBaseAPI();
        // Tesseract resolves the model as <datapath>/<language>.traineddata.
        if (api.Init(tessdata.toString(), language, OEM_LSTM_ONLY) != 0) {
            api.close();
            throw new IllegalStateException("Tesseract could not load " + modelFile(tessdata, language)
                    + " (corrupt, or not a Tesseract 4/5 LSTM model?); reinstall it with"
                    + " `apt-get install --reinstall tesseract-ocr-" + language + "`");
        }
        // Quiet per-image diagnostics on stderr; failures still surface as return codes.
        api.SetVariable("debug_file", "/dev/null");
        for (Map.Entry<String, String> v : variables.entrySet()) {
            if (!api.SetVariable(v.getKey(), v.getValue())) {
                api.End();
                api.close();
                throw new IllegalArgumentException("variables: Tesseract has no settable parameter " + v.getKey()
                        + " (or it rejects the value " + v.getValue() + ")");
            }
        }
        api.SetPageSegMode(sparseText ? PSM_SPARSE_TEXT : PSM_AUTO);
        open.add(api);
        LOG.debug("opened Tesseract handle {} of {} ({})", open.size(), modelFile(tessdata, language), this);
        return api;
    }

    private void end(TessBaseAPI api) {
        if (open.remove(api)) {
            api.End();
            api.close();
        }
    }

    /** Ends every idle handle now and every lent one when it comes back; later reads fail. */
    @Override
    public void close() {
        closed = true;
        for (TessBaseAPI api = idle.pollFirst(); api != null; api = idle.pollFirst()) {
            end(api);
        }
    }

    @Override
    public String toString() {
        return "TesseractEngine{tessdata=" + tessdata + ", language=" + language + ", upscale=" + upscale
                + ", sparseText=" + sparseText + ", variables=" + variables + "}";
    }

    private static Path modelFile(Path tessdata, String language) {
        return tessdata.resolve(language + ".traineddata");
    }

    /** Builder; validated by {@link #build()}. */
    public static final class Builder {
        private Path tessdata;
        private String language = "eng";
        private int upscale = 2;
        private boolean sparseText = true;
        private final Map<String, String> variables = new LinkedHashMap<>();

        private Builder() {
            // Sauvola's local thresholds instead of Tesseract's global Otsu: generated images put
            // text on gradients, signs and busy backgrounds, where one global threshold loses it.
            variables.put("thresholding_method", "2");
        }

        /**
         * @param tessdata the directory holding {@code <language>.traineddata}; null for the default
         *     ({@code TESSDATA_PREFIX}, else {@link #DEFAULT_TESSDATA})
         * @return this
         */
        public Builder optTessdata(Path tessdata) {
            this.tessdata = tessdata;
            return this;
        }

        /** @param language the model's name, letters, digits and {@code _} (default {@code eng}) @return this */
        public Builder optLanguage(String language) {
            this.language = language;
            return this;
        }

        /** @param upscale the factor images are enlarged by before recognition, 1 to 8 @return this */
        public Builder optUpscale(int upscale) {
            this.upscale = upscale;
            return this;
        }

        /**
         * @param sparseText true (default) to find text anywhere in the image, in no particular order,
         *     as in a scene; false for Tesseract's automatic page layout
         * @return this
         */
        public Builder optSparseText(boolean sparseText) {
            this.sparseText = sparseText;
            return this;
        }

        /**
         * @param name a Tesseract parameter settable after initialisation (as with {@code tesseract
         *     -c name=value}), e.g. {@code thresholding_method} (default here 2, Sauvola)
         * @param value its value
         * @return this
         */
        public Builder optVariable(String name, String value) {
            if (name == null || name.isBlank() || value == null) {
                throw new IllegalArgumentException("variables: name and value must be given, got " + name + "=" + value);
            }
            variables.put(name, value);
            return this;
        }

        /**
         * @return the engine, with its first handle open
         * @throws IllegalArgumentException naming the first bad field (a variable Tesseract does not
         *     accept included)
         * @throws IllegalStateException when the model file is missing or cannot be loaded
         */
        public TesseractEngine build() {
            if (language == null || !language.matches("[A-Za-z0-9_]+")) {
                throw new IllegalArgumentException("language must be letters, digits and _, got " + language);
            }
            if (upscale < 1 || upscale > 8) {
                throw new IllegalArgumentException("upscale must be in [1, 8], got " + upscale);
            }
            Path dir = resolveTessdata();
            Path model = modelFile(dir, language);
            if (!Files.isRegularFile(model)) {
                throw new IllegalStateException("Tesseract model not found: " + model + " (tessdata directory "
                        + dir + ", from " + source() + "). Install it with `apt-get install tesseract-ocr-"
                        + language + "` (Debian/Ubuntu), or point optTessdata(...) or TESSDATA_PREFIX at a"
                        + " directory holding " + language + ".traineddata");
            }
            TesseractEngine engine = new TesseractEngine(dir, this);
            engine.release(engine.openHandle());
            return engine;
        }

        private Path resolveTessdata() {
            if (tessdata != null) {
                return tessdata;
            }
            String prefix = System.getenv("TESSDATA_PREFIX");
            return prefix != null && !prefix.isBlank() ? Path.of(prefix) : DEFAULT_TESSDATA;
        }

        private String source() {
            if (tessdata != null) {
                return "optTessdata";
            }
            String prefix = System.getenv("TESSDATA_PREFIX");
            return prefix != null && !prefix.isBlank() ? "TESSDATA_PREFIX" : "the default";
        }
    }
}
