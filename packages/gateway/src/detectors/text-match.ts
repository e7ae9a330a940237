// The common result of the text finders: a normalized value and the span it was found at.

/** A value found in text, in normalized form, with its UTF-16 span `[start, end)`. */
export type TextMatch = { readonly value: string; readonly start: number; readonly end: number };
