package datastore.itests;

import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The protocol's sample ROM store ({@code src/test/resources/sample/rom_store_config.yaml}, a copy
 * of the shared protocol sample) read the way the developers' scripts read it: the YAML's
 * {@code code.path}, {@code images.<tag>.type/path} and {@code kv_store}, paths starting with
 * {@code ${CONFIG_PATH}} taken relative to the YAML's folder, files sent as base64.
 */
final class SampleRomStore {

    /** The YAML's content: the code's bytes, the settings, and each image's stated type and bytes. */
    final byte[] code;
    final Map<String, String> kvStore = new LinkedHashMap<>();
    final Map<String, String> imageTypes = new LinkedHashMap<>();
    final Map<String, byte[]> imageData = new LinkedHashMap<>();

    private SampleRomStore(Path yaml) throws Exception {
        Map<String, Object> config;
        try (Reader reader = Files.newBufferedReader(yaml, StandardCharsets.UTF_8)) {
            config = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        }
        Path folder = yaml.getParent();
        code = Files.readAllBytes(resolve(folder, (String) map(config.get("code")).get("path")));
        map(config.get("kv_store")).forEach((name, value) -> kvStore.put(name, String.valueOf(value)));
        for (Map.Entry<String, Object> image : map(config.get("images")).entrySet()) {
            Map<String, Object> description = map(image.getValue());
            imageTypes.put(image.getKey(), ((String) description.get("type")).toUpperCase(Locale.ROOT));
            imageData.put(image.getKey(), Files.readAllBytes(resolve(folder, (String) description.get("path"))));
        }
    }

    static SampleRomStore load() throws Exception {
        return new SampleRomStore(sampleFolder().resolve("rom_store_config.yaml"));
    }

    static Path sampleFolder() throws URISyntaxException {
        return Paths.get(SampleRomStore.class.getResource("/sample/rom_store_config.yaml").toURI()).getParent();
    }

    /** The {@code applicationRomStore} request's attributes for {@code dockId}. */
    ObjectNode attributes(String dockId) {
        ObjectNode attributes = DevApiClient.object().put("dockId", dockId);
        attributes.putObject("code").put("code", base64(code));
        ObjectNode kv = attributes.putObject("kvStore");
        kvStore.forEach(kv::put);
        ObjectNode images = attributes.putObject("images");
        imageTypes.forEach((tag, type) -> images.putObject(tag).put("type", type).put("data", base64(imageData.get(tag))));
        return attributes;
    }

    /** The bytes of one of the sample's images. */
    byte[] imageData(String tag) {
        return imageData.get(tag).clone();
    }

    /** The whole request body for {@code dockId}. */
    ObjectNode request(String dockId) {
        return DevApiClient.document("applicationRomStore", attributes(dockId));
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static Path resolve(Path folder, String path) {
        String prefix = "${CONFIG_PATH}";
        return path.startsWith(prefix) ? Paths.get(folder + path.substring(prefix.length())) : Paths.get(path);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }
}
