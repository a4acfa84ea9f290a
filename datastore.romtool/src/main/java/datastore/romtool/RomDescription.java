package datastore.romtool;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import datastore.Namespace;
import datastore.image.ImageType;
import datastore.romformat.RomImageBuilder;
import datastore.spi.InvalidRomContentException;
import datastore.spi.InvalidRomContentException.Problem;
import datastore.spi.RomContent;

/**
 * Reads a ROM store description: the YAML file application developers keep beside their code, with
 * the top-level keys {@code code} ({@code path}), {@code images} (tag to {@code type} and
 * {@code path}; the type is PNG, BMP or JPEG in any case) and {@code kv_store} (name to string). A
 * path starting with {@code ${CONFIG_PATH}} is relative to the YAML file's folder; any other relative
 * path is relative to the working folder, as the developers' own scripts read it. Every problem is
 * reported at once, named by its field in the YAML ({@code kv_store.port}, {@code images.logo.path},
 * {@code code.path}): unknown keys, values that are not strings, missing or unreadable files, bad
 * image types and images that are not valid for their type.
 */
public final class RomDescription {
    /** The placeholder for the description's folder. */
    public static final String CONFIG_PATH = "${CONFIG_PATH}";
    private static final Set<String> TOP_LEVEL = Set.of("code", "images", "kv_store");

    private RomDescription() {
    }

    /**
     * The application ROM store {@code yaml} describes, validated by {@code builder} (names, sizes,
     * images, capacity and slot fit, with {@code reservedPayload} bytes of UPD data beside it).
     *
     * @throws InvalidRomContentException listing every problem, fields named as in the YAML
     * @throws IOException if the YAML file itself cannot be read
     */
    public static RomContent read(Path yaml, RomImageBuilder builder, long reservedPayload) throws IOException {
        return read(yaml, builder, reservedPayload, false);
    }

    /**
     * Like {@link #read(Path, RomImageBuilder, long)}; with {@code allowOutside}, files may also lie
     * outside the description's folder.
     */
    public static RomContent read(Path yaml, RomImageBuilder builder, long reservedPayload, boolean allowOutside)
            throws IOException {
        List<Problem> problems = new ArrayList<>();
        RomContent content = parse(yaml, problems, true, allowOutside);
        for (Problem problem : builder.check(content, reservedPayload)) {
            problems.add(yamlField(problem));
        }
        if (!problems.isEmpty()) {
            throw new InvalidRomContentException(problems);
        }
        return content;
    }

    /**
     * The unique-per-dock data {@code yaml} describes: the same format without {@code code}.
     *
     * @throws InvalidRomContentException listing every problem, fields named as in the YAML
     * @throws IOException if the YAML file itself cannot be read
     */
    public static RomContent readUpd(Path yaml, RomImageBuilder builder) throws IOException {
        return readUpd(yaml, builder, false);
    }

    /** Like {@link #readUpd(Path, RomImageBuilder)}; with {@code allowOutside}, files may lie outside its folder. */
    public static RomContent readUpd(Path yaml, RomImageBuilder builder, boolean allowOutside) throws IOException {
        List<Problem> problems = new ArrayList<>();
        RomContent content = parse(yaml, problems, false, allowOutside);
        for (Problem problem : builder.checkUpd(content)) {
            problems.add(yamlField(problem));
        }
        if (!problems.isEmpty()) {
            throw new InvalidRomContentException(problems);
        }
        return content;
    }

    /** The builder names fields as the REST request does; the YAML names them its own way. */
    static Problem yamlField(Problem problem) {
        String field = problem.field();
        if (field.equals("code")) {
            field = "code.path";
        } else if (field.startsWith("kvStore.")) {
            field = "kv_store." + field.substring("kvStore.".length());
        } else if (field.startsWith("images.") && field.endsWith(".data")) {
            field = field.substring(0, field.length() - ".data".length()) + ".path";
        }
        return new Problem(field, problem.message());
    }

    /**
     * Where a description's files may come from: its own folder (and below), unless the user allows
     * more. A description is often someone else's, and its paths must not reach the signing key or
     * anything else on the machine by {@code ../} or an absolute path.
     */
    private record Sources(Path folder, boolean allowOutside) {
    }

    /**
     * Reads a file named in a description or a dock list under the same rules: relative to
     * {@code folder} (or {@code ${CONFIG_PATH}}), a regular file inside it unless {@code allowOutside},
     * at most {@code limit} bytes; null with a problem for {@code field} otherwise.
     */
    static byte[] readFile(String field, String path, Path folder, boolean allowOutside, long limit,
            List<Problem> problems) {
        return readFile(field, path, new Sources(folder, allowOutside), limit, problems);
    }

    private static RomContent parse(Path yaml, List<Problem> problems, boolean codeAllowed, boolean allowOutside)
            throws IOException {
        Object root;
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(20);
        try (Reader reader = Files.newBufferedReader(yaml, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(options)).load(reader);
        } catch (YAMLException e) {
            problems.add(new Problem("yaml", "not readable YAML: " + e.getMessage().replace('\n', ' ')));
            return new RomContent(null, Map.of(), Map.of());
        }
        Sources folder = new Sources(yaml.toAbsolutePath().getParent(), allowOutside);
        byte[] code = null;
        Map<String, String> kv = new LinkedHashMap<>();
        Map<String, RomContent.RomImage> images = new LinkedHashMap<>();
        if (root == null) {
            problems.add(new Problem("yaml", "the file is empty; expected the keys code, images and kv_store"));
        } else if (!(root instanceof Map<?, ?> top)) {
            problems.add(new Problem("yaml", "the document is " + kind(root) + ", not a mapping of code, images and "
                    + "kv_store"));
        } else {
            for (Map.Entry<?, ?> entry : top.entrySet()) {
                String key = String.valueOf(entry.getKey());
                if (!TOP_LEVEL.contains(key) || !(entry.getKey() instanceof String)) {
                    problems.add(new Problem(key, "unknown top-level key; expected code, images or kv_store"));
                }
            }
            if (top.containsKey("code")) {
                if (!codeAllowed) {
                    problems.add(new Problem("code", "unique-per-dock data holds no application code"));
                } else {
                    code = readCode(top.get("code"), folder, problems);
                }
            }
            if (top.containsKey("kv_store")) {
                readKv(top.get("kv_store"), kv, problems);
            }
            if (top.containsKey("images")) {
                readImages(top.get("images"), folder, images, problems);
            }
        }
        return new RomContent(code, kv, images);
    }

    private static byte[] readCode(Object value, Sources folder, List<Problem> problems) {
        if (!(value instanceof Map<?, ?> code)) {
            problems.add(new Problem("code", "must be a mapping with a path, not " + kind(value)));
            return null;
        }
        for (Object key : code.keySet()) {
            if (!"path".equals(key)) {
                problems.add(new Problem("code." + key, "unknown key; code has only a path"));
            }
        }
        return readFile("code.path", code.get("path"), folder, Namespace.CODE.maxValueBytes(), problems);
    }

    private static void readKv(Object value, Map<String, String> kv, List<Problem> problems) {
        if (!(value instanceof Map<?, ?> map)) {
            problems.add(new Problem("kv_store", "must be a mapping of names to strings, not " + kind(value)));
            return;
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String field = "kv_store." + entry.getKey();
            if (!(entry.getKey() instanceof String name)) {
                problems.add(new Problem(field, "the name is " + kind(entry.getKey()) + "; names must be strings"));
                continue;
            }
            if (entry.getValue() instanceof String string) {
                kv.put(name, string);
            } else {
                problems.add(new Problem(field, "the value is " + kind(entry.getValue())
                        + "; values must be strings (quote it in the YAML)"));
            }
        }
    }

    private static void readImages(Object value, Sources folder, Map<String, RomContent.RomImage> images,
            List<Problem> problems) {
        if (!(value instanceof Map<?, ?> map)) {
            problems.add(new Problem("images", "must be a mapping of tags to a type and a path, not " + kind(value)));
            return;
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String field = "images." + entry.getKey();
            if (!(entry.getKey() instanceof String tag)) {
                problems.add(new Problem(field, "the tag is " + kind(entry.getKey()) + "; tags must be strings"));
                continue;
            }
            if (!(entry.getValue() instanceof Map<?, ?> image)) {
                problems.add(new Problem(field, "must be a mapping with a type and a path, not " + kind(entry.getValue())));
                continue;
            }
            for (Object key : image.keySet()) {
                if (!"type".equals(key) && !"path".equals(key)) {
                    problems.add(new Problem(field + "." + key, "unknown key; an image has a type and a path"));
                }
            }
            ImageType type = null;
            Object typeValue = image.get("type");
            if (!(typeValue instanceof String name)) {
                problems.add(new Problem(field + ".type", typeValue == null ? "missing; one of PNG, BMP, JPEG"
                        : "is " + kind(typeValue) + "; one of PNG, BMP, JPEG"));
            } else {
                type = switch (name.strip().toUpperCase(Locale.ROOT)) {
                    case "PNG" -> ImageType.PNG;
                    case "BMP" -> ImageType.BMP;
                    case "JPEG" -> ImageType.JPEG;
                    default -> null;
                };
                if (type == null) {
                    problems.add(new Problem(field + ".type", "\"" + name + "\" is not an image type; one of PNG, BMP, "
                            + "JPEG (any case)"));
                }
            }
            byte[] data = readFile(field + ".path", image.get("path"), folder, Namespace.IMAGE.maxValueBytes(), problems);
            if (type != null && data != null) {
                images.put(tag, new RomContent.RomImage(type, data));
            }
        }
    }

    /**
     * Reads one file the description names: a regular file (no FIFO, device or folder), inside the
     * description's folder unless allowed otherwise (symbolic links resolved first), and no larger
     * than its namespace allows, checked before and while reading so that nothing unbounded is read.
     */
    private static byte[] readFile(String field, Object value, Sources sources, long limit, List<Problem> problems) {
        if (!(value instanceof String text) || text.isBlank()) {
            problems.add(new Problem(field, value == null ? "missing" : "must be a file path, not " + kind(value)));
            return null;
        }
        Path path = resolve(text.strip(), sources.folder()).toAbsolutePath().normalize();
        try {
            Path real = path.toRealPath();
            Path base = sources.folder().toRealPath();
            if (!sources.allowOutside() && !real.startsWith(base)) {
                problems.add(new Problem(field, path + " is outside the description's folder " + base
                        + "; only files in that folder are read unless the tool is told to allow others"));
                return null;
            }
            if (!Files.isRegularFile(real)) {
                problems.add(new Problem(field, path + " is not a regular file"));
                return null;
            }
            long size = Files.size(real);
            if (size > limit) {
                problems.add(new Problem(field, path + " is " + size + " bytes; the limit is " + limit));
                return null;
            }
            try (java.io.InputStream in = Files.newInputStream(real)) {
                byte[] bytes = in.readNBytes((int) limit + 1);
                if (bytes.length > limit) {
                    problems.add(new Problem(field, path + " grew over the limit of " + limit + " bytes while read"));
                    return null;
                }
                return bytes;
            }
        } catch (NoSuchFileException e) {
            problems.add(new Problem(field, "file not found: " + path));
        } catch (IOException e) {
            problems.add(new Problem(field, "cannot read " + path + ": " + e.getMessage()));
        }
        return null;
    }

    /** {@code ${CONFIG_PATH}} at the start means the description's folder. */
    static Path resolve(String path, Path folder) {
        if (path.startsWith(CONFIG_PATH)) {
            String rest = path.substring(CONFIG_PATH.length()).replaceFirst("^[/\\\\]+", "");
            return rest.isEmpty() ? folder : folder.resolve(rest);
        }
        return Path.of(path);
    }

    private static String kind(Object value) {
        if (value == null) {
            return "empty (null)";
        }
        if (value instanceof Boolean b) {
            return "the boolean " + b;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger) {
            return "the integer " + value;
        }
        if (value instanceof Double d) {
            return "the number " + d;
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String) {
            return "a string";
        }
        return "a " + value.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " (" + value + ")";
    }
}
