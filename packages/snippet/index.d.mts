/** The conversion-tracking build must stay at or under this many bytes gzipped. */
export declare const SIZE_BUDGET: number;
/** The snippet, minified for browsers from 2020 on. */
export declare function buildSnippet(): Promise<string>;
export declare function gzipSize(code: string): number;
