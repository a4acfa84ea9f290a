package datastore.shell;

import java.lang.reflect.Method;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

/**
 * A command's usage, written from the Gogo descriptors of its methods, for a call that fits none
 * of the command's forms: every non-varargs method of the name is one form, its {@link Parameter}
 * options in brackets, its arguments in angle brackets, each named by the first word after "the"
 * of its {@link Descriptor}.
 */
final class CommandUsage {

    private CommandUsage() {
    }

    /** The usage of every form of {@code function} in {@code commands}, as an exception to throw. */
    static IllegalArgumentException of(Class<?> commands, String function) {
        StringBuilder usage = new StringBuilder();
        for (Method method : commands.getMethods()) {
            if (!method.getName().equals(function) || method.isVarArgs()) {
                continue;
            }
            usage.append(usage.length() == 0 ? "usage: " : "\n       ").append("datastore:").append(function);
            StringBuilder details = new StringBuilder();
            for (java.lang.reflect.Parameter parameter : method.getParameters()) {
                Parameter option = parameter.getAnnotation(Parameter.class);
                Descriptor descriptor = parameter.getAnnotation(Descriptor.class);
                String meaning = descriptor == null ? "" : descriptor.value();
                if (option != null) {
                    boolean flag = !Parameter.UNSPECIFIED.equals(option.presentValue());
                    String word = meaning.startsWith("the ") ? meaning.substring(4).split("[ (]", 2)[0].toUpperCase(
                            Locale.ROOT) : "VALUE";
                    usage.append(" [").append(option.names()[0]).append(flag ? "" : " " + word).append(']');
                    details.append("\n         ").append(String.join(", ", option.names())).append(": ").append(meaning);
                } else {
                    String word = meaning.startsWith("the ") ? meaning.substring(4).split("[ (]", 2)[0] : "value";
                    usage.append(" <").append(word).append('>');
                }
            }
            Descriptor what = method.getAnnotation(Descriptor.class);
            if (what != null) {
                usage.append("\n         ").append(what.value());
            }
            usage.append(details);
        }
        return new IllegalArgumentException(usage.toString());
    }
}
