; Inno Setup script: installs the PyInstaller one-folder build of AutoPR Console.
;   iscc /DAppVersion=0.1.0 packaging\windows\autopr-console.iss
; Input: build\pkg\dist\autopr-console (packaging/autopr-console.spec on Windows).
; Output: build\pkg\autopr-console-<version>-setup.exe

#define AppName "AutoPR Console"
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\pkg\dist\autopr-console"
#endif
#define GuiExe "AutoPR Console.exe"

[Setup]
AppId={{297EF319-67C9-5C8B-88DF-D07806D85E40}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=AutoPR Console maintainers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; per-user install without admin rights is offered too (no service, no drivers)
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\pkg
OutputBaseFilename=autopr-console-{#AppVersion}-setup
SetupIconFile=..\..\resources\app\autopr-console.ico
UninstallDisplayIcon={app}\{#GuiExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Registry]
; autopr:// links (chat, browser) open in the console: "autopr-console open LINK".
Root: HKA; Subkey: "Software\Classes\autopr"; ValueType: string; ValueName: ""; ValueData: "URL:AutoPR Console link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\autopr"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\autopr\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"
Root: HKA; Subkey: "Software\Classes\autopr\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" open ""%1"""

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
