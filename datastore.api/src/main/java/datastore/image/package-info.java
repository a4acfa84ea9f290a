/**
 * Image types (the dock SDK's {@code NONE}, {@code PNG}, {@code BMP}, plus {@code JPEG}) and the image-format service that detects and validates encoded images.
 */
@Export
@Version("1.0.0")
package datastore.image;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
